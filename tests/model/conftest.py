from __future__ import annotations

from pathlib import Path

import pytest
from artifact_factory import write_artifacts


@pytest.fixture(scope="session")
def artifacts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a shared artifacts folder with last-state pooling; do not modify it."""
    return write_artifacts(tmp_path_factory.mktemp("artifacts-last"))


@pytest.fixture(scope="session")
def attention_artifacts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a shared artifacts folder with attention pooling."""
    return write_artifacts(
        tmp_path_factory.mktemp("artifacts-attention"), pooling="attention"
    )
