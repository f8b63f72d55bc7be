"""Reading and writing the artifacts folder of a trained model.

A folder holds:
- `config.json`: schema version, network architecture, preprocessing settings, label
  names in output order and the maximum number of tokens;
- `vocab.json`: the tokens in index order;
- `model.safetensors`: the float32 weights, a format that loads without running code;
- `metrics.json`: evaluation results of the training run;
- `MODEL_CARD.md`: a short description for people;
- `manifest.json`: the SHA-256 digest of each file above.

Every file is checked on load, and a problem raises `ArtifactError` naming the file.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from model.exceptions import ArtifactError
from model.network import NetworkConfig
from model.preprocessing import PreprocessingConfig
from model.vocabulary import Vocabulary

logger = logging.getLogger(__name__)

# Increase when the layout or meaning of any artifact file changes.
SCHEMA_VERSION = 1

CONFIG_FILE = "config.json"
VOCAB_FILE = "vocab.json"
WEIGHTS_FILE = "model.safetensors"
METRICS_FILE = "metrics.json"
MODEL_CARD_FILE = "MODEL_CARD.md"
MANIFEST_FILE = "manifest.json"
# Order matters: the model version hashes the digests in this order.
ARTIFACT_FILES = (CONFIG_FILE, VOCAB_FILE, WEIGHTS_FILE, METRICS_FILE, MODEL_CARD_FILE)


@dataclass(frozen=True, slots=True)
class ArtifactConfig:
    """Contents of `config.json`: what is needed to rebuild and feed the network."""

    network: NetworkConfig
    preprocessing: PreprocessingConfig
    category_labels: tuple[str, ...]
    sentiment_labels: tuple[str, ...]
    max_tokens: int
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        for task, labels, expected in (
            ("category", self.category_labels, self.network.num_categories),
            ("sentiment", self.sentiment_labels, self.network.num_sentiments),
        ):
            if len(labels) != expected or len(set(labels)) != len(labels):
                raise ValueError(
                    f"{task} labels {list(labels)} must be {expected} distinct names "
                    "to match the network's output size"
                )
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, got {self.max_tokens}")

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form written to `config.json`."""
        return {
            "schema_version": self.schema_version,
            "labels": {
                "category": list(self.category_labels),
                "sentiment": list(self.sentiment_labels),
            },
            "max_tokens": self.max_tokens,
            "preprocessing": {
                f.name: getattr(self.preprocessing, f.name)
                for f in fields(self.preprocessing)
            },
            "network": self.network.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> ArtifactConfig:
        """Parse `config.json`, raising ValueError on a missing or unknown key."""
        _require_keys(
            data,
            {"schema_version", "labels", "max_tokens", "preprocessing", "network"},
            "config",
        )
        if data["schema_version"] != SCHEMA_VERSION:
            raise ValueError(
                f"schema version {data['schema_version']!r} is not supported; this "
                f"code reads version {SCHEMA_VERSION}, so retrain the model"
            )
        labels = data["labels"]
        _require_keys(labels, {"category", "sentiment"}, "labels")
        return cls(
            network=_build_dataclass(NetworkConfig, data["network"], "network"),
            preprocessing=_build_dataclass(
                PreprocessingConfig, data["preprocessing"], "preprocessing"
            ),
            category_labels=_parse_labels(labels["category"], "category"),
            sentiment_labels=_parse_labels(labels["sentiment"], "sentiment"),
            max_tokens=_parse_int(data["max_tokens"], "max_tokens"),
        )


@dataclass(frozen=True, slots=True)
class ModelArtifacts:
    """Validated contents of an artifacts folder."""

    directory: Path
    config: ArtifactConfig
    vocabulary: Vocabulary
    state_dict: dict[str, torch.Tensor] = field(repr=False)
    metrics: dict[str, Any]
    model_card: str
    model_version: str


def save_artifacts(
    directory: Path | str,
    *,
    config: ArtifactConfig,
    vocabulary: Vocabulary,
    network: torch.nn.Module,
    metrics: Mapping[str, Any],
    model_card: str,
) -> str:
    """Write every artifact file into `directory` and return the model version.

    The manifest is written last, so a run that stops half-way leaves a folder that
    fails to load, never one that loads with files from two different runs.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MANIFEST_FILE).unlink(missing_ok=True)

    _write_json(directory / CONFIG_FILE, config.to_dict())
    _write_json(directory / VOCAB_FILE, vocabulary.to_dict())
    state_dict = {
        name: tensor.detach().cpu().contiguous()
        for name, tensor in network.state_dict().items()
    }
    save_file(state_dict, directory / WEIGHTS_FILE)
    _write_json(directory / METRICS_FILE, dict(metrics))
    (directory / MODEL_CARD_FILE).write_text(model_card, encoding="utf-8")

    digests = {name: _sha256(directory / name) for name in ARTIFACT_FILES}
    manifest = {"schema_version": SCHEMA_VERSION, "files": digests}
    _write_json(directory / MANIFEST_FILE, manifest)
    version = compute_model_version(digests)
    logger.info("saved artifacts directory=%s model_version=%s", directory, version)
    return version


def load_artifacts(directory: Path | str) -> ModelArtifacts:
    """Read and validate an artifacts folder.

    Raises:
        ArtifactError: a file is missing, does not match its digest in the
            manifest, cannot be parsed, or comes from another schema version.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ArtifactError(
            directory,
            "directory not found; train a model with `python -m training` first",
        )
    digests = _read_manifest(directory / MANIFEST_FILE)
    for name in ARTIFACT_FILES:
        _verify_digest(directory / name, digests[name])

    config = _parse_file(directory / CONFIG_FILE, ArtifactConfig.from_dict)
    vocabulary = _parse_file(directory / VOCAB_FILE, Vocabulary.from_dict)
    if len(vocabulary) != config.network.vocab_size:
        raise ArtifactError(
            directory / VOCAB_FILE,
            f"holds {len(vocabulary)} tokens but {CONFIG_FILE} says vocab_size="
            f"{config.network.vocab_size}",
        )
    metrics = _parse_file(directory / METRICS_FILE, _require_object)
    model_card = _read_model_card(directory / MODEL_CARD_FILE)
    return ModelArtifacts(
        directory=directory,
        config=config,
        vocabulary=vocabulary,
        state_dict=_read_weights(directory / WEIGHTS_FILE),
        metrics=metrics,
        model_card=model_card,
        model_version=compute_model_version(digests),
    )


def compute_model_version(digests: Mapping[str, str]) -> str:
    """Hash the per-file digests into a 16-hex-digit model version."""
    combined = hashlib.sha256()
    for name in ARTIFACT_FILES:
        combined.update(f"{name}:{digests[name]}\n".encode())
    return combined.hexdigest()[:16]


def _read_manifest(path: Path) -> dict[str, str]:
    manifest = _parse_file(path, _require_object)
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise ArtifactError(
            path,
            f"schema version {manifest.get('schema_version')!r} is not supported; "
            f"this code reads version {SCHEMA_VERSION}, so retrain the model",
        )
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise ArtifactError(path, "missing the 'files' object with file digests")
    missing = [name for name in ARTIFACT_FILES if not isinstance(files.get(name), str)]
    if missing:
        raise ArtifactError(path, f"has no digest for {missing}")
    return {name: files[name] for name in ARTIFACT_FILES}


def _verify_digest(path: Path, expected: str) -> None:
    if not path.is_file():
        raise ArtifactError(path, "file not found")
    actual = _sha256(path)
    if actual != expected:
        raise ArtifactError(
            path,
            f"SHA-256 {actual[:12]}... does not match {expected[:12]}... in "
            f"{MANIFEST_FILE}; the file is corrupt or was edited, so copy or retrain "
            "the whole folder",
        )


def _parse_file(path: Path, parse: Any) -> Any:
    if not path.is_file():
        raise ArtifactError(path, "file not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return parse(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(path, f"is not valid UTF-8 JSON: {exc}") from exc
    except (TypeError, ValueError) as exc:
        raise ArtifactError(path, str(exc)) from exc


def _read_weights(path: Path) -> dict[str, torch.Tensor]:
    try:
        return load_file(path)
    except (SafetensorError, OSError, ValueError) as exc:
        raise ArtifactError(path, f"cannot be read as safetensors: {exc}") from exc


def _read_model_card(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ArtifactError(path, f"cannot be read as UTF-8 text: {exc}") from exc
    if not text.strip():
        raise ArtifactError(path, "is empty")
    return text


def _write_json(path: Path, data: Any) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)
    path.write_text(text + "\n", encoding="utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _require_object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    return data


def _require_keys(data: Any, keys: set[str], where: str) -> None:
    _require_object(data)
    missing = sorted(keys - data.keys())
    if missing:
        raise ValueError(f"'{where}' is missing the keys {missing}")


def _build_dataclass(cls: Any, data: Any, where: str) -> Any:
    _require_object(data)
    known = {f.name for f in fields(cls)}
    unknown = sorted(data.keys() - known)
    if unknown:
        raise ValueError(
            f"'{where}' has unknown keys {unknown}; expected {sorted(known)}"
        )
    return cls(**data)


def _parse_labels(data: Any, task: str) -> tuple[str, ...]:
    if not isinstance(data, list) or not all(isinstance(x, str) and x for x in data):
        raise ValueError(f"'labels.{task}' must be a list of non-empty strings")
    return tuple(data)


def _parse_int(data: Any, where: str) -> int:
    if isinstance(data, bool) or not isinstance(data, int):
        raise ValueError(f"'{where}' must be an integer, got {data!r}")
    return data
