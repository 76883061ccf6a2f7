"""The figures cache on files (no REDIS_URL): Django's file cache, culled less often.

Django's ``FileBasedCache`` lists its whole directory on every write to see whether it holds
more than ``MAX_ENTRIES`` files. A dashboard writes a dozen figures after each change, and the
directory holds thousands of them, so the listing cost more than counting the figures did.
Here a process lists it at most once every ``CULL_INTERVAL`` seconds (option, default 60):
the directory may pass ``MAX_ENTRIES`` for that long, by the files written meanwhile.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache.backends.filebased import FileBasedCache


class FileCache(FileBasedCache):
    def __init__(self, dir: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        self.cull_interval = float(options.pop("CULL_INTERVAL", 60))
        super().__init__(dir, {**params, "OPTIONS": options})
        self._culled_at = float("-inf")

    def _cull(self) -> None:
        now = time.monotonic()
        if now - self._culled_at < self.cull_interval:
            return
        self._culled_at = now
        super()._cull()
