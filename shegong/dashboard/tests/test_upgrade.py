"""Upgrading a database that already has the dashboard's triggers keeps them: on SQLite a
migration that adds a column copies the table into a new one, without its triggers, and the
dashboard's figures would then stop seeing new rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from .test_cache import triggers_on

BEFORE_REGION_CODES = [("devices", "0003_period_index"), ("elderly", "0004_period_index")]


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_past_the_region_codes_keeps_every_trigger():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_REGION_CODES)  # as a database made before them was
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    for table in ("devices_alarm", "elderly_serviceorder"):
        found = triggers_on(table)
        assert any(name.startswith("dashboard_generation") for name in found), (table, found)
        assert any("region" in name for name in found), (table, found)
