"""Rapport."""

# Before any table is defined: the names of its constraints (see app.core.naming).
import app.core.naming  # noqa: F401
