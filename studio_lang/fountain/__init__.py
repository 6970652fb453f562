"""Fountain screenplays (``*.fountain``) imported as project data."""
