"""Idempotency-Key (§13): the kept responses table and the ASGI middleware."""
