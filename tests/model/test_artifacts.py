from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import torch
from artifact_factory import CATEGORY_LABELS, SENTIMENT_LABELS

from model import ArtifactError, ModelError, Predictor
from model.artifacts import (
    ARTIFACT_FILES,
    CONFIG_FILE,
    MANIFEST_FILE,
    METRICS_FILE,
    MODEL_CARD_FILE,
    SCHEMA_VERSION,
    VOCAB_FILE,
    WEIGHTS_FILE,
    load_artifacts,
)


@pytest.fixture
def copy_dir(artifacts_dir: Path, tmp_path: Path) -> Path:
    """Return a private copy of the shared artifacts folder that a test may damage."""
    return Path(shutil.copytree(artifacts_dir, tmp_path / "artifacts"))


def reseal(directory: Path) -> None:
    """Rewrite the manifest digests so that only the content checks can fail."""
    manifest = json.loads((directory / MANIFEST_FILE).read_text())
    for name in ARTIFACT_FILES:
        manifest["files"][name] = hashlib.sha256(
            (directory / name).read_bytes()
        ).hexdigest()
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest))


def edit_json(path: Path, change: dict[str, object]) -> None:
    data = json.loads(path.read_text())
    data.update(change)
    path.write_text(json.dumps(data))


def test_load_round_trip(artifacts_dir: Path) -> None:
    artifacts = load_artifacts(artifacts_dir)
    assert artifacts.config.category_labels == CATEGORY_LABELS
    assert artifacts.config.sentiment_labels == SENTIMENT_LABELS
    assert artifacts.config.schema_version == SCHEMA_VERSION
    assert len(artifacts.vocabulary) == artifacts.config.network.vocab_size
    assert artifacts.metrics["test"]["category"]["accuracy"] == 0.0
    assert artifacts.model_card.startswith("# Test model")
    assert all(isinstance(t, torch.Tensor) for t in artifacts.state_dict.values())


def test_model_version_is_stable(artifacts_dir: Path) -> None:
    first = load_artifacts(artifacts_dir).model_version
    assert load_artifacts(artifacts_dir).model_version == first
    assert len(first) == 16


def test_model_version_changes_with_content(
    copy_dir: Path, artifacts_dir: Path
) -> None:
    (copy_dir / MODEL_CARD_FILE).write_text("# Another card\n")
    reseal(copy_dir)
    assert (
        load_artifacts(copy_dir).model_version
        != load_artifacts(artifacts_dir).model_version
    )


@pytest.mark.parametrize("name", [*ARTIFACT_FILES, MANIFEST_FILE])
def test_missing_file_rejected(copy_dir: Path, name: str) -> None:
    (copy_dir / name).unlink()
    with pytest.raises(ArtifactError, match="file not found") as caught:
        Predictor.load(copy_dir)
    assert caught.value.path == copy_dir / name
    assert name in str(caught.value)


@pytest.mark.parametrize("name", ARTIFACT_FILES)
def test_corrupted_file_rejected(copy_dir: Path, name: str) -> None:
    with (copy_dir / name).open("ab") as stream:
        stream.write(b"\x00garbage")
    with pytest.raises(ArtifactError, match="does not match") as caught:
        Predictor.load(copy_dir)
    assert caught.value.path == copy_dir / name


@pytest.mark.parametrize("name", [CONFIG_FILE, VOCAB_FILE, METRICS_FILE, MANIFEST_FILE])
def test_invalid_json_rejected(copy_dir: Path, name: str) -> None:
    (copy_dir / name).write_text("{not json")
    if name != MANIFEST_FILE:
        reseal(copy_dir)
    with pytest.raises(ArtifactError, match="not valid UTF-8 JSON") as caught:
        Predictor.load(copy_dir)
    assert caught.value.path == copy_dir / name


def test_unreadable_weights_rejected(copy_dir: Path) -> None:
    (copy_dir / WEIGHTS_FILE).write_bytes(b"not a safetensors file")
    reseal(copy_dir)
    with pytest.raises(ArtifactError, match="safetensors") as caught:
        Predictor.load(copy_dir)
    assert caught.value.path == copy_dir / WEIGHTS_FILE


def test_weights_of_other_architecture_rejected(copy_dir: Path) -> None:
    config = json.loads((copy_dir / CONFIG_FILE).read_text())
    config["network"]["hidden_size"] += 1
    (copy_dir / CONFIG_FILE).write_text(json.dumps(config))
    reseal(copy_dir)
    with pytest.raises(ArtifactError, match="do not fit the architecture") as caught:
        Predictor.load(copy_dir)
    assert caught.value.path == copy_dir / WEIGHTS_FILE


@pytest.mark.parametrize("name", [CONFIG_FILE, MANIFEST_FILE])
def test_other_schema_version_rejected(copy_dir: Path, name: str) -> None:
    edit_json(copy_dir / name, {"schema_version": SCHEMA_VERSION + 1})
    if name != MANIFEST_FILE:
        reseal(copy_dir)
    with pytest.raises(ArtifactError, match="schema version") as caught:
        Predictor.load(copy_dir)
    assert caught.value.path == copy_dir / name


def test_other_preprocessing_version_rejected(copy_dir: Path) -> None:
    config = json.loads((copy_dir / CONFIG_FILE).read_text())
    config["preprocessing"]["version"] = 0
    (copy_dir / CONFIG_FILE).write_text(json.dumps(config))
    reseal(copy_dir)
    with pytest.raises(ArtifactError, match="preprocessing version 0"):
        Predictor.load(copy_dir)


def test_label_count_mismatch_rejected(copy_dir: Path) -> None:
    config = json.loads((copy_dir / CONFIG_FILE).read_text())
    config["labels"]["category"] = ["only", "two"]
    (copy_dir / CONFIG_FILE).write_text(json.dumps(config))
    reseal(copy_dir)
    with pytest.raises(ArtifactError, match="category labels"):
        Predictor.load(copy_dir)


def test_unknown_config_key_rejected(copy_dir: Path) -> None:
    config = json.loads((copy_dir / CONFIG_FILE).read_text())
    config["network"]["heads"] = 4
    (copy_dir / CONFIG_FILE).write_text(json.dumps(config))
    reseal(copy_dir)
    with pytest.raises(ArtifactError, match="unknown keys \\['heads'\\]"):
        Predictor.load(copy_dir)


def test_vocabulary_size_mismatch_rejected(copy_dir: Path) -> None:
    vocab = json.loads((copy_dir / VOCAB_FILE).read_text())
    vocab["tokens"].append("extra")
    (copy_dir / VOCAB_FILE).write_text(json.dumps(vocab))
    reseal(copy_dir)
    with pytest.raises(ArtifactError, match="vocab_size") as caught:
        Predictor.load(copy_dir)
    assert caught.value.path == copy_dir / VOCAB_FILE


def test_empty_model_card_rejected(copy_dir: Path) -> None:
    (copy_dir / MODEL_CARD_FILE).write_text("  \n")
    reseal(copy_dir)
    with pytest.raises(ArtifactError, match="empty"):
        Predictor.load(copy_dir)


def test_missing_directory_rejected(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="directory not found"):
        Predictor.load(tmp_path / "absent")


def test_artifact_error_is_model_error() -> None:
    assert issubclass(ArtifactError, ModelError)
