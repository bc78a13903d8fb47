"""API key secrets: generation, hashing and shape checks. No database here."""

import hashlib
import re
import secrets

KEY_PREFIX = "rpk_"
_KEY_SHAPE = re.compile(r"^rpk_[A-Za-z0-9_-]{22,200}$")


def generate_secret() -> str:
    # 32 random bytes: 256 bits, well over the 128 the spec asks for.
    return KEY_PREFIX + secrets.token_urlsafe(32)


def is_well_formed(secret: str) -> bool:
    return bool(_KEY_SHAPE.match(secret))


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def display_prefix(secret: str) -> str:
    """What lists show so a person can tell keys apart: 'rpk_' and 8 characters."""
    return secret[:12]
