"""Webhooks (SPEC §12): endpoints, the outbox, triggers and the delivery worker."""
