"""Report fixtures: the dashboard's records (one of each counted record per region, see
``shegong.dashboard.tests.conftest``) and files written to a temporary media folder."""

from __future__ import annotations

import pytest

from shegong.dashboard.tests.conftest import data, staffed, vendor  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def generate(django_capture_on_commit_callbacks):
    """generate(user, area, month): ask for a report and run the queued task (Huey runs
    tasks in-line under HUEY_IMMEDIATE, as the test settings do)."""
    from shegong.reports import services

    def run(user, area, month):
        with django_capture_on_commit_callbacks(execute=True):
            report = services.request_report(user, area, month)
        report.refresh_from_db()
        return report

    return run
