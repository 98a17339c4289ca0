"""Managing the organisation's catalogue and training requirements."""
