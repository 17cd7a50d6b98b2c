"""Request dependencies: who is asking (session, role, municipality) and the unit of work."""
