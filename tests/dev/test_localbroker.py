"""The local broker's helpers that need no JVM."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "dev" / "kafka"))

import localbroker  # noqa: E402


def test_cluster_id_no_leading_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    # 0xf8 encodes to "-" as the first base64 character: the storage tool then
    # reads the id as an option and formatting fails.
    draws = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(int=1)])
    monkeypatch.setattr(localbroker.uuid, "uuid4", lambda: next(draws))

    cluster_id = localbroker._kafka_uuid()

    assert cluster_id == "AAAAAAAAAAAAAAAAAAAAAQ"
    assert len(cluster_id) == 22
