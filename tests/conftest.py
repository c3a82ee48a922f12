"""Tests name specs relative to the repository root, wherever pytest is started from, and keep
netspec's schema cache in a folder of the test session's own (never the user's)."""
import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Set at import, before any test or subprocess runs, so that every process of the session shares it.
os.environ["NETSPEC_CACHE_DIR"] = tempfile.mkdtemp(prefix="netspec-test-cache-")


@pytest.fixture(autouse=True)
def _repository_root(monkeypatch):
    monkeypatch.chdir(ROOT)
