"""Shared fixtures: GNU Go, which tests skip without, except in CI where it must be present."""

from __future__ import annotations

import os

import pytest

from gtp.client import find_gnugo


@pytest.fixture(scope="session")
def gnugo_path() -> str:
    path = find_gnugo()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("GNU Go is required in CI but was not found (apt-get install gnugo)")
        pytest.skip("GNU Go (gnugo) is not installed")
    return path
