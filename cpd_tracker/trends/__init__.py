"""Coverage trends: monthly snapshots drawn as charts for a school and for the trust."""
