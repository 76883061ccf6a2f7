"""Settings for the device-ingestion benchmark: the real settings plus one bare endpoint."""

from shegong.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
DEBUG = False
# The bare endpoint once more through the lean handler the device events use, for comparison.
SHEGONG_LEAN_PATHS = [*SHEGONG_LEAN_PATHS, "/bench/bare-lean"]  # noqa: F405
