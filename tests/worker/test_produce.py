"""The replay producer: files in, one JSON feedback record per row out."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from kafka import KafkaConsumer

from worker.produce import ColumnMapping, ReplayError, build_records, main, read_table

ROWS = [
    {"ticket_id": "T-1", "text": "Router drops every night", "channel": "Internet"},
    {"ticket_id": "T-2", "text": "Charged twice for May", "channel": "Phone"},
    {"ticket_id": "T-3", "text": "", "channel": "Internet"},
]


def _write(tmp_path: Path, suffix: str) -> Path:
    path = tmp_path / f"rows{suffix}"
    table = pd.DataFrame(ROWS)
    if suffix == ".csv":
        table.to_csv(path, index=False)
    elif suffix == ".xlsx":
        table.to_excel(path, index=False, engine="openpyxl")
    else:
        path.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    return path


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".jsonl"])
def test_build_records_maps_columns(tmp_path: Path, suffix: str) -> None:
    table = read_table(_write(tmp_path, suffix))
    mapping = ColumnMapping("ticket_id", "text", (("channel", "source"),))

    records = list(build_records(table, mapping))

    assert len(records) == len(ROWS)
    assert records[0] == {
        "complaint_id": "T-1",
        "text": "Router drops every night",
        "source": "Internet",
    }
    assert records[2]["text"] == ""


def test_build_records_missing_column(tmp_path: Path) -> None:
    table = read_table(_write(tmp_path, ".csv"))

    with pytest.raises(ReplayError, match="'complaint_id' not found.*ticket_id"):
        list(build_records(table, ColumnMapping()))


def test_read_table_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "rows.parquet"
    path.write_bytes(b"")

    with pytest.raises(ReplayError, match="unsupported replay file type '.parquet'"):
        read_table(path)


@pytest.mark.kafka
def test_main_publishes_every_row(
    tmp_path: Path,
    kafka_bootstrap: str,
    create_topic: Callable[..., str],
    unique_name: Callable[[str], str],
) -> None:
    topic = create_topic("replay", partitions=2)
    path = _write(tmp_path, ".csv")

    status = main(
        [
            str(path),
            "--bootstrap-servers",
            kafka_bootstrap,
            "--topic",
            topic,
            "--id-column",
            "ticket_id",
            "--no-progress",
        ]
    )
    received = _consume(kafka_bootstrap, topic, unique_name("group"), len(ROWS))

    assert status == 0
    assert sorted(key for key, _ in received) == ["T-1", "T-2", "T-3"]
    assert {value["complaint_id"]: value["text"] for _, value in received} == {
        row["ticket_id"]: row["text"] for row in ROWS
    }
    assert all(value["channel"] for _, value in received)


@pytest.mark.kafka
def test_main_missing_topic_fails(tmp_path: Path, kafka_bootstrap: str) -> None:
    path = _write(tmp_path, ".csv")

    status = main(
        [
            str(path),
            "--bootstrap-servers",
            kafka_bootstrap,
            "--topic",
            "no.such.topic",
            "--id-column",
            "ticket_id",
            "--no-progress",
        ]
    )

    assert status == 2


def _consume(
    bootstrap: str, topic: str, group: str, expected: int
) -> list[tuple[str, dict]]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    received: list[tuple[str, dict]] = []
    deadline = time.monotonic() + 30
    try:
        while len(received) < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                received.extend((r.key.decode(), json.loads(r.value)) for r in records)
    finally:
        consumer.close()
    return received
