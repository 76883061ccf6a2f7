"""Vendor request signatures: ``X-Signature: sha256=<hex HMAC-SHA256(secret, ts + "." + body)>``."""

from __future__ import annotations

import hashlib
import hmac


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The header value a vendor sends for ``body`` at ``timestamp`` (Unix seconds, as text)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signature_ok(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(signature(secret, timestamp, body), header or "")


def signed_headers(key: str, secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """The three headers of a signed request (for the simulator, tests and vendors' examples)."""
    ts = str(int(timestamp))
    return {
        "X-Vendor": key,
        "X-Timestamp": ts,
        "X-Signature": signature(secret, ts, body),
    }
