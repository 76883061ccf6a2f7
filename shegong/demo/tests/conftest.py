import pytest


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """seed_demo attaches a demo invoice to an institution's ledger: keep it out of var/."""
    settings.MEDIA_ROOT = tmp_path
