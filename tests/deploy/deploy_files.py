"""Readers for the deployment files that the tests in this folder share."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
GRAFANA_PROVISIONING = DEPLOY / "grafana" / "provisioning"


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction, with continuation lines joined."""

    keyword: str
    arguments: str
    line: int


@dataclass(frozen=True)
class Mount:
    """One entry of a compose service's `volumes` list, in short syntax."""

    source: str
    target: str
    read_only: bool

    @property
    def is_bind(self) -> bool:
        """Return whether the source is a host path rather than a named volume."""
        return self.source.startswith((".", "/"))


def load_yaml(path: Path) -> Any:
    """Parse one YAML file, failing the test with the path when it is invalid."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        pytest.fail(f"{path.relative_to(ROOT)} is not valid YAML: {exc}")


def parse_dockerfile(text: str) -> list[Instruction]:
    """Split a Dockerfile into instructions, dropping comments and blank lines."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # Docker drops comment lines inside a continued instruction.
        if not pending:
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1].strip())
            continue
        pending.append(line)
        keyword, _, arguments = " ".join(pending).partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip(), start))
        pending = []
    return instructions


def parse_mount(entry: str) -> Mount:
    """Parse a short-syntax volume entry such as `./a:/b:ro` or `name:/b`."""
    parts = entry.split(":")
    if len(parts) not in (2, 3):
        raise ValueError(
            f"unsupported volume entry {entry!r}: write it as SOURCE:TARGET[:ro]"
        )
    read_only = len(parts) == 3 and "ro" in parts[2].split(",")
    return Mount(source=parts[0], target=parts[1], read_only=read_only)


def host_path_for(mounts: list[Mount], container_path: str) -> Path | None:
    """Return the repository path that a bind mount maps `container_path` to."""
    path = PurePosixPath(container_path)
    for mount in mounts:
        target = PurePosixPath(mount.target)
        if mount.is_bind and (path == target or target in path.parents):
            return ROOT / mount.source / path.relative_to(target)
    return None
