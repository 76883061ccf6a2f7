"""The figures cache on files (shegong.cache.FileCache) stays bounded without listing its
directory on every write."""

from __future__ import annotations

import pytest

from shegong import cache as file_cache
from shegong.cache import FileCache


def files(cache: FileCache) -> int:
    return len(cache._list_cache_files())


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(file_cache.time, "monotonic", lambda: now[0])
    return now


def make(tmp_path, **options) -> FileCache:
    return FileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 4, "CULL_FREQUENCY": 2, **options}})


def test_without_an_interval_it_culls_like_djangos_file_cache(tmp_path, clock):
    cache = make(tmp_path, CULL_INTERVAL=0)
    for n in range(12):
        cache.set(f"k{n}", n)
    assert files(cache) <= 4
    assert cache.get("k11") == 11


def test_it_culls_at_most_once_an_interval_and_then_again(tmp_path, clock):
    cache = make(tmp_path, CULL_INTERVAL=60)
    for n in range(10):
        cache.set(f"k{n}", n)
    # The first write looked (nothing to cull yet); the next ones within the minute did not.
    assert files(cache) == 10
    assert [cache.get(f"k{n}") for n in range(10)] == list(range(10))
    clock[0] += 61
    cache.set("later", "x")
    assert files(cache) == 6  # half of the 10 culled, then the new one written
    assert cache.get("later") == "x"


def test_the_interval_is_an_option_not_passed_to_django(tmp_path):
    cache = make(tmp_path, CULL_INTERVAL=5)
    assert cache.cull_interval == 5
    assert cache._max_entries == 4
    assert make(tmp_path).cull_interval == 60
