"""Progress of long background work (imports, exports), visible to web and worker alike.

Kept in the job queue's own key-value store (SQLite file or Redis), outside the database
transaction that the work runs in: a page polls it while the transaction is still open.
"""

from __future__ import annotations

import json
import time
from typing import Any

from huey.contrib.djhuey import HUEY

STALE_AFTER_SECONDS = 120


def _key(name: str) -> str:
    return f"shegong:progress:{name}"


def progress_set(name: str, phase: str, done: int, total: int) -> None:
    payload = {"phase": phase, "done": done, "total": total, "at": time.time()}
    HUEY.storage.put_data(_key(name), json.dumps(payload).encode())


def progress_get(name: str) -> dict[str, Any] | None:
    raw = HUEY.storage.peek_data(_key(name))
    if not isinstance(raw, bytes | str):
        return None
    data = json.loads(raw)
    data["percent"] = int(100 * data["done"] / data["total"]) if data["total"] else 0
    data["stale"] = time.time() - data["at"] > STALE_AFTER_SECONDS
    return data
