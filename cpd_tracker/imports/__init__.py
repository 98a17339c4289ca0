"""Staff and completion imports from CSV: upload, preview, all-or-nothing apply (web and CLI)."""
