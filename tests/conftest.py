"""Shared fixtures: the real local Swift and Keystone (see swiftsvc.testing.pytest_plugin)."""

pytest_plugins = ["swiftsvc.testing.pytest_plugin"]
