"""Settings for the device-ingestion benchmark: the real settings plus one bare endpoint."""

from shegong.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
DEBUG = False
