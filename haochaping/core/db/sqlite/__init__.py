"""SQLite backend with a cross-process writer queue (see base.py)."""
