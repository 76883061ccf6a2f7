"""The whole JSON API under schemathesis: no input makes it answer 5xx or break its own schema.

The schema is the one the running app serves (``/api/v1/openapi.json`` through the real WSGI
application, lean device path included), the data is the demo district (``seed_demo``) so that
ids in paths and bodies reach real records, and the caller is the demo district administrator
with a bearer token. Every operation gets a fixed number of valid and of invalid requests from a
fixed seed, so a failure in CI is the same failure on a laptop.

Checks, and why these:

* ``not_a_server_error``: any 5xx is a bug.
* ``response_schema_conformance``: a documented answer must match its documented schema (a
  client generated from the OpenAPI document would break otherwise).
* ``content_type_conformance``: a documented answer has its documented media type.

``status_code_conformance`` is left out on purpose: django-ninja answers 401 for a missing or
bad token and 422 for a body or query it cannot parse on every operation, and does not write
either into the document. Listing them on every operation would only restate the framework.

Run it alone with ``make fuzz`` or
``SHEGONG_TESTING=1 .venv/bin/python -m pytest -s shegong/tests/test_api_fuzz.py``;
``SHEGONG_FUZZ_EXAMPLES`` changes the number of examples per operation and mode (default 25).
"""

from __future__ import annotations

import io
import os
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from shegong.accounts.models import User
from shegong.accounts.services import api_token_create

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
EXAMPLES = int(os.environ.get("SHEGONG_FUZZ_EXAMPLES", "25"))
SEED = 20261129

# Path parameter → the model whose real ids it takes half of the time (the other half is
# whatever hypothesis makes of an integer: 0, negatives, huge numbers, ids of nothing).
PATH_MODELS = {
    "person_id": "people.Person",
    "case_id": "casework.Case",
    "institution_id": "institutions.Institution",
    "referral_id": "juvenile.Referral",
    "alarm_id": "devices.Alarm",
}
SIGNED_PATH = "/api/v1/devices/events"


@dataclass
class Tally:
    cases: int = 0
    unsatisfiable: int = 0
    by_status: Counter = field(default_factory=Counter)
    seconds: Counter = field(default_factory=Counter)
    failures: dict[tuple[str, str], str] = field(default_factory=dict)
    tracebacks: list[str] = field(default_factory=list)


@pytest.fixture
def in_process_requests():
    """Requests go through the WSGI handler in the test's own thread and connection: keep
    Django from closing that connection at the end of each request (as its test client does),
    and keep the traceback of every exception the handler turns into a 500."""
    tracebacks: list[str] = []

    def keep(sender, request=None, **kwargs):
        tracebacks.append(traceback.format_exc())

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    got_request_exception.connect(keep)
    try:
        yield tracebacks
    finally:
        got_request_exception.disconnect(keep)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def demo_district(db, settings, tmp_path) -> float:
    """The demo district (regions, staff, people, every programme); the seconds it took."""
    settings.MEDIA_ROOT = tmp_path
    started = time.monotonic()
    call_command("seed_demo", people=120, stdout=io.StringIO())
    return time.monotonic() - started


def _real_ids() -> dict[str, list[int]]:
    from django.apps import apps

    ids = {}
    for name, label in PATH_MODELS.items():
        model = apps.get_model(label)
        ids[name] = list(model.objects.order_by("pk").values_list("pk", flat=True)[:40]) or [1]
    return ids


def _strategy(operation, mode: GenerationMode, ids: dict[str, list[int]]):
    generated = operation.as_strategy(generation_mode=mode)
    names = [p for p in PATH_MODELS if "{" + p + "}" in operation.path]
    if not names or mode is GenerationMode.NEGATIVE:
        return generated
    real = st.fixed_dictionaries({n: st.sampled_from(ids[n]) for n in names}).flatmap(
        lambda params: operation.as_strategy(generation_mode=mode, path_parameters=params)
    )
    return st.one_of(generated, real)


def _fuzz(operation, strategy, headers: dict[str, str], tally: Tally, tracebacks: list[str]):
    @seed(SEED)
    @hypothesis_settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=["explicit", "generate"],  # a failure is recorded, not shrunk: report them all
    )
    @given(case=strategy)
    def run(case):
        tally.cases += 1
        before = len(tracebacks)
        response = case.call(headers=headers)
        tally.by_status[response.status_code // 100] += 1
        problems = []
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            problems = [f"{f.title}: {f.message[:600]}" for f in group.exceptions]
        if operation.path == SIGNED_PATH and not 400 <= response.status_code < 500:
            problems.append(f"unsigned event answered {response.status_code}")
        for problem in problems:
            key = (operation.label, problem.split(":")[0])
            if key not in tally.failures:
                curl = case.as_curl_command(headers=headers)
                answer = f"{response.status_code} {response.content[:300]!r}"
                tally.failures[key] = f"{problem}\n  {curl}\n  → {answer}"
                tally.tracebacks.extend(tracebacks[before:])

    try:
        run()
    except Unsatisfiable:
        # Some operations have no invalid input at all (nothing but an optional query
        # parameter of type string, for instance): nothing to send in that mode.
        tally.unsatisfiable += 1


def test_no_input_makes_the_api_fail_or_break_its_schema(
    demo_district, in_process_requests, capsys
):
    from shegong.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    user = User.objects.get(username="demo-district")
    token = api_token_create(user=user, name="fuzz")
    bearer = {"Authorization": f"Bearer {token}"}
    ids = _real_ids()
    tally = Tally()
    operations = [result.ok() for result in schema.get_all_operations()]
    started = time.monotonic()
    for operation in operations:
        # The signed vendor endpoint is fuzzed as any stranger would call it: no signature.
        headers = {} if operation.path == SIGNED_PATH else bearer
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            began = time.monotonic()
            _fuzz(operation, _strategy(operation, mode, ids), headers, tally, in_process_requests)
            tally.seconds[f"{operation.label} {mode.value}"] += time.monotonic() - began
    elapsed = time.monotonic() - started

    summary = [
        f"API fuzz: demo data in {demo_district:.1f} s; {len(operations)} operations, "
        f"{tally.cases} cases in {elapsed:.1f} s, "
        f"answers by class {dict(sorted(tally.by_status.items()))}, "
        f"{len(tally.failures)} distinct failures "
        f"({tally.unsatisfiable} operation modes had no input to generate)",
        "slowest: " + ", ".join(f"{k} {v:.1f} s" for k, v in tally.seconds.most_common(6)),
        *(f"- {label}: {title}\n  {example}" for (label, title), example in tally.failures.items()),
        *tally.tracebacks[:5],
    ]
    with capsys.disabled():
        print("\n" + "\n".join(summary))
    assert len(operations) >= 25
    assert tally.by_status[2] > 0, "no request reached a real answer: check the token and data"
    assert not tally.failures, "\n".join(summary)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_no_two_api_schemas_share_a_name():
    """django-ninja names an OpenAPI component after its class and keeps the last one of a
    name: two different ``Conflict`` schemas made the document describe the person endpoint's
    409 with the alarm's body. Same name is fine only for identical schemas."""
    from ninja import Schema

    from shegong.api import api

    api.get_openapi_schema(path_prefix="/api/v1")
    by_name: dict[str, dict] = {}
    for cls in _subclasses(Schema):
        if not cls.__module__.startswith("shegong."):
            continue
        shape = cls.model_json_schema()
        earlier = by_name.setdefault(cls.__name__, shape)
        assert earlier == shape, f"two different API schemas are called {cls.__name__}"


# What the fuzzer found, pinned as plain examples (each was a 500 or a wrong document).


@pytest.fixture
def admin_bearer(district_admin, bearer):
    return bearer(district_admin)


def test_a_page_number_past_64_bits_is_a_422_not_a_500(client, admin_bearer):
    response = client.get("/api/v1/people?page=27823852313445828395008", headers=admin_bearer)

    assert response.status_code == 422


def test_an_id_past_64_bits_is_just_missing(client, admin_bearer):
    response = client.get(
        "/api/v1/institutions/2690589683547398209536/custody", headers=admin_bearer
    )

    assert response.status_code == 404


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_date_the_figures_cannot_count_is_a_422(client, admin_bearer, day):
    response = client.get(f"/api/v1/stats/overview?from={day}", headers=admin_bearer)

    assert response.status_code == 422


def test_the_dashboard_page_survives_year_one(admin_client):
    response = admin_client.get("/dashboard/?from=0001-01-01&to=0001-01-31")

    assert response.status_code == 200
    assert 'data-field-error="from"' in response.content.decode()
