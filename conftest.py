"""Top-level conftest: only here may pytest_plugins register fixtures for the whole suite."""

pytest_plugins = ["shegong.browser_fixtures"]
