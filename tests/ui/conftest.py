"""The default app for a test: a fresh, paused session with seed 0."""

from __future__ import annotations

import pytest
from driver import make_app


@pytest.fixture
def app():
    return make_app()
