"""Fixtures shared by every app's tests: a small region tree, users per role, people, clients."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from shegong.accounts.models import Role
from shegong.accounts.services import api_token_create
from shegong.factories import PersonFactory, RegionFactory, UserFactory
from shegong.regions.models import Region
from shegong.testing import login

DISTRICT_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.CENTER_WORKER})
TOWNSHIP_ROLES = frozenset({Role.TOWNSHIP_SUPERVISOR, Role.TOWNSHIP_WORKER})
VILLAGE_ROLES = frozenset({Role.VILLAGE_DIRECTOR, Role.VILLAGE_ASSISTANT})
REGISTRY_ROLES = DISTRICT_ROLES | TOWNSHIP_ROLES | VILLAGE_ROLES
OUTSIDER_ROLES = frozenset(Role) - REGISTRY_ROLES


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Argon2 is deliberately slow; tests that check it restore it themselves."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def consumers_just_started(monkeypatch):
    """/healthz gives a fresh install a grace period before it misses the consumers' heartbeat
    (shegong/ops/heartbeat.py); a test session that took minutes to build its database is still
    that fresh install, not a server whose consumers died."""
    import time

    from shegong.ops import heartbeat

    monkeypatch.setattr(heartbeat, "STARTED_AT", time.time())


@pytest.fixture(autouse=True)
def empty_cache():
    """The figures cache is keyed by table generations, which a test's rollback takes back:
    every test starts with an empty cache — and with fresh rate-limit counters."""
    from django.core.cache import cache, caches

    from shegong.ratelimits import VENDOR_EVENTS

    cache.clear()
    caches["ratelimit"].clear()
    VENDOR_EVENTS.clear()


@pytest.fixture
def rate_window(monkeypatch):
    """Holds django-ratelimit's clock still, so a test's requests share one counting window
    (a window ending mid-test would start the count again)."""
    import time
    import types

    now = time.time()
    clock = types.SimpleNamespace(time=lambda: now)
    monkeypatch.setattr("django_ratelimit.core.time", clock)
    monkeypatch.setattr("shegong.ratelimits.time", clock)


def _generation_rows_back() -> None:
    """A transactional test ends with a flush, which empties every table, the generation rows
    that migration 0001 made included (a real database is never flushed): put them back, so
    that what a later test counts does not depend on which tests ran before it."""
    from importlib import import_module

    from shegong.dashboard.models import TableGeneration

    tables = import_module("shegong.dashboard.migrations.0001_table_generation").TABLES
    TableGeneration.objects.bulk_create(
        [TableGeneration(table=table) for table in tables], ignore_conflicts=True
    )


@pytest.fixture(autouse=True)
def generations_at_once(request):
    """PostgreSQL raises the dashboard's table generations at commit (deferred triggers), and
    a test's transaction never commits: raise them at every row instead, so that figures
    counted after a write in the same test are counted afresh (see dashboard/models.py)."""
    marker = request.node.get_closest_marker("django_db")
    if "db" not in request.fixturenames and marker is None:
        return
    transactional = marker is not None and marker.kwargs.get("transaction")
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.db import connection

    _generation_rows_back()
    if transactional:
        return  # commits: the triggers fire as in production
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # dashboard_generation_delete: people rows (dashboard migration 0008).
            cursor.execute(
                "SET CONSTRAINTS dashboard_generation, dashboard_generation_delete IMMEDIATE"
            )
            cursor.execute("SELECT set_config('shegong.generation_each_row', 'on', true)")


@pytest.fixture(autouse=True)
def no_static_file_scan(request, settings):
    """WhiteNoise scans every static file whenever a test client builds its middleware; tests
    that do not drive a browser never ask for static files."""
    if "live_server" not in request.fixturenames:
        settings.WHITENOISE_USE_FINDERS = False


@dataclass
class Regions:
    district: Region
    township: Region  # 栾城镇
    village: Region  # a village of 栾城镇: "own village" for village roles
    sibling_village: Region  # another village of the same township
    other_township: Region  # 冶河镇
    far_village: Region  # a village of the other township


@pytest.fixture
def regions(db) -> Regions:
    return Regions(
        district=RegionFactory(code="130111000000", name="栾城区"),
        township=RegionFactory(code="130111100000", name="栾城镇"),
        village=RegionFactory(code="130111100201", name="东庄村"),
        sibling_village=RegionFactory(code="130111100202", name="西庄村"),
        other_township=RegionFactory(code="130111103000", name="冶河镇"),
        far_village=RegionFactory(code="130111103201", name="南营村"),
    )


def home_region(role: str, regions: Regions) -> Region:
    """Where a role's membership sits: registry roles at their level, everyone else at the
    district, so that a role without registry rights is tested with the widest region."""
    if role in TOWNSHIP_ROLES:
        return regions.township
    if role in VILLAGE_ROLES:
        return regions.village
    return regions.district


@pytest.fixture
def make_user(regions):
    """make_user(role, region=None, **fields): a user with one active membership."""

    def make(role: str | None = None, region: Region | None = None, **fields):
        user = UserFactory(**fields)
        if role is not None:
            user.memberships.create(role=role, region=region or home_region(role, regions))
        return user

    return make


@pytest.fixture
def district_admin(make_user):
    return make_user(Role.DISTRICT_ADMIN, username="admin")


@pytest.fixture
def village_director(make_user):
    return make_user(Role.VILLAGE_DIRECTOR, username="director")


@pytest.fixture
def admin_client(client, district_admin):
    """A district administrator's browser session, second factor already passed."""
    return login(client, district_admin)


@pytest.fixture
def director_client(client, village_director):
    return login(client, village_director)


@pytest.fixture
def person(regions):
    """An adult in the village director's own village."""
    return PersonFactory(region=regions.village, name="张建国")


@pytest.fixture
def bearer():
    """bearer(user) → headers for the test client carrying a fresh API token."""

    def headers(user) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_token_create(user=user, name='test')}"}

    return headers
