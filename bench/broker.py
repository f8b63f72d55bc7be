"""A broker for the benchmark: the configured one, or a fresh local one."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def benchmark_broker() -> Iterator[str]:
    """Yield ``KAFKA_BOOTSTRAP_SERVERS``, or start a local broker in a temporary folder.

    A fresh broker keeps earlier runs' topics and the page cache of other brokers out
    of the measurement.
    """
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        yield configured
        return
    sys.path.insert(0, str(ROOT / "dev" / "kafka"))
    import localbroker

    with tempfile.TemporaryDirectory(prefix="bench-kafka-") as state_dir:
        broker = localbroker.start(
            port=localbroker.free_port(),
            state_dir=Path(state_dir),
            die_with_parent=True,
        )
        try:
            yield broker.bootstrap_servers
        finally:
            broker.stop()
