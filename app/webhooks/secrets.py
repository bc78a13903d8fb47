"""Endpoint secrets: made, sealed at rest, and used to sign (Standard Webhooks 1.0).

A secret is ``whsec_`` + base64 of 32 random bytes, shown once. The database holds it only
as a Fernet token under a key derived from ``RAPPORT_SECRET_KEY`` (a database dump alone
does not reveal it). The setting may list several keys, comma-separated: the first seals,
every one opens (MultiFernet), so an operator rotates by putting a new key first.

Signing uses the official ``standardwebhooks`` library, once per secret: during a
rotation's 24 h overlap the ``webhook-signature`` header carries both signatures,
space-separated, and a receiver holding either secret verifies.
"""

import base64
import hashlib
import secrets
from datetime import UTC, datetime

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from standardwebhooks import Webhook

from app.core.errors import WEBHOOKS_NOT_CONFIGURED

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _fernet(passphrase: str) -> Fernet:
    # Any string is a key: its SHA-256 is the 32 bytes Fernet wants (the setting is a
    # random string the operator generates, so no slow key derivation is needed).
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(passphrase.encode()).digest()))


class SecretBox:
    """Seals and opens secrets with the keys of ``RAPPORT_SECRET_KEY``."""

    def __init__(self, setting: str | None):
        keys = [k.strip() for k in (setting or "").split(",") if k.strip()]
        self._box = MultiFernet([_fernet(k) for k in keys]) if keys else None

    def _require(self) -> MultiFernet:
        if self._box is None:
            raise WEBHOOKS_NOT_CONFIGURED.error(
                "Webhook secrets are stored encrypted: set RAPPORT_SECRET_KEY to a long random "
                'string (e.g. python -c "import secrets; print(secrets.token_urlsafe(32))") '
                "and restart."
            )
        return self._box

    def seal(self, secret: str) -> str:
        return self._require().encrypt(secret.encode()).decode()

    def open(self, token: str) -> str:
        try:
            return self._require().decrypt(token.encode()).decode()
        except InvalidToken:
            raise WEBHOOKS_NOT_CONFIGURED.error(
                "A webhook secret cannot be decrypted with RAPPORT_SECRET_KEY: the key it was "
                "sealed with is no longer listed; add it back (after the new one)."
            ) from None


def sign(secrets_: list[str], msg_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header: ``v1,<base64>`` for each secret, space-separated."""
    at = datetime.fromtimestamp(timestamp, UTC)
    return " ".join(Webhook(s).sign(msg_id, at, body) for s in secrets_)
