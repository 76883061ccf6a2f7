"""Field encryption (AES-GCM) and keyed blind index (HMAC-SHA256) for ID numbers and phones.

Both keys are derived from ``SHEGONG_FIELD_KEY`` with HKDF, so one secret configures both and
neither is the raw secret. Ciphertexts carry a version byte so the key can be rotated later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

VERSION = b"\x01"


@lru_cache(maxsize=4)
def _keys(secret: str) -> tuple[bytes, bytes]:
    material = HKDF(
        algorithm=hashes.SHA256(), length=64, salt=b"shegong-field-v1", info=b"aes+hmac"
    ).derive(secret.encode())
    return material[:32], material[32:]


def _enc_key() -> bytes:
    return _keys(settings.FIELD_KEY)[0]


def _mac_key() -> bytes:
    return _keys(settings.FIELD_KEY)[1]


def encrypt(value: str) -> str:
    if not value:
        return ""
    nonce = os.urandom(12)
    sealed = AESGCM(_enc_key()).encrypt(nonce, value.encode(), None)
    return base64.b64encode(VERSION + nonce + sealed).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    raw = base64.b64decode(token)
    if raw[:1] != VERSION:
        raise ValueError("unknown ciphertext version")
    return AESGCM(_enc_key()).decrypt(raw[1:13], raw[13:], None).decode()


def blind_index(value: str) -> str:
    """Deterministic keyed hash for exact lookups; empty for an empty value."""
    if not value:
        return ""
    return hmac.new(_mac_key(), value.encode(), hashlib.sha256).hexdigest()


def mask_id_number(value: str) -> str:
    if not value:
        return ""
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    if not value:
        return ""
    if len(value) <= 7:
        return value[:2] + "*" * (len(value) - 2)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
