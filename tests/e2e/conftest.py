"""Fixtures of the end-to-end tests: each demo mode is run once per session (``spec2x demo``)."""

from __future__ import annotations

import pytest
from e2e_helpers import run_demo_cli


@pytest.fixture(scope="session")
def demo_runs(tmp_path_factory):
    """``demo_runs(mode)``: the manifest of ``spec2x demo MODE`` (run on first use)."""
    cache = {}

    def get(mode: str):
        if mode not in cache:
            cache[mode] = run_demo_cli(mode, tmp_path_factory.mktemp(f"demo_{mode}"))
        return cache[mode]

    return get
