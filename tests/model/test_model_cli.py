from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from artifact_factory import CATEGORY_LABELS

from model.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def run_cli(args: list[str], stdin: str = "") -> tuple[int, list[dict[str, object]]]:
    stdout = io.StringIO()
    status = main(args, stdin=io.StringIO(stdin), stdout=stdout)
    lines = stdout.getvalue().splitlines()
    return status, [json.loads(line) for line in lines]


def test_predict_arguments_print_json_lines(artifacts_dir: Path) -> None:
    status, records = run_cli(
        ["predict", "--artifacts", str(artifacts_dir), "no signal", "bill wrong"]
    )
    assert status == 0
    assert [record["text"] for record in records] == ["no signal", "bill wrong"]
    assert all(record["category"] in CATEGORY_LABELS for record in records)
    expected_keys = {
        "text",
        "model_version",
        "category",
        "category_confidence",
        "sentiment",
        "sentiment_confidence",
        "probabilities",
        "truncated",
    }
    assert set(records[0]) == expected_keys


def test_predict_reads_stdin_lines(artifacts_dir: Path) -> None:
    status, records = run_cli(
        ["predict", "--artifacts", str(artifacts_dir)],
        stdin="no signal\n\nrude agent 😡\r\n",
    )
    assert status == 0
    assert [record["text"] for record in records] == ["no signal", "rude agent 😡"]


def test_predict_bad_artifacts_exit_status(tmp_path: Path) -> None:
    status, records = run_cli(["predict", "--artifacts", str(tmp_path / "absent")])
    assert status == 2
    assert records == []


def test_module_entry_point(artifacts_dir: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "model", "predict", "--artifacts", str(artifacts_dir)],
        input="no signal since monday\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    record = json.loads(completed.stdout)
    assert record["text"] == "no signal since monday"
