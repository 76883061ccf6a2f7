"""Fixtures for the people app's tests: uploads and exports go to a temporary media root, and
background jobs run inline with a fresh in-memory progress store."""

import pytest
from huey.contrib.djhuey import HUEY


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def inline_jobs():
    """Huey runs tasks inline with an in-memory store (HUEY_IMMEDIATE=1 does the same); the
    store is emptied so that one test's progress reports never reach another's job."""
    was_immediate = HUEY.immediate
    HUEY.immediate = True
    HUEY.storage.flush_all()
    yield
    HUEY.storage.flush_all()
    HUEY.immediate = was_immediate
