"""Contacts (SPEC §10): one person across handles, with figures kept in the event write
transaction by app/events/store/_contact_rollup.py."""
