"""Training records beyond in-tool modules: external evidence, INSET sessions, exemptions and
extensions."""
