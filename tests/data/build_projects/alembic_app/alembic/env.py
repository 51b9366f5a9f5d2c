"""Alembic environment of the fixture (never run: the checks read migrations as text)."""
