"""Dockerfile and .dockerignore, checked against pyproject.toml and the layout."""

from __future__ import annotations

import fnmatch
import re
import shlex
from typing import Any

import pytest
from deploy_files import ROOT, Instruction
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

BASE_IMAGE = "python:3.11-slim"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
COPIED_SOURCES = {
    "model/",
    "training/",
    "worker/",
    "data/",
    "pyproject.toml",
    "README.md",
}
IGNORED_REQUIRED = {
    ".git",
    ".venv",
    ".kafka",
    "dev/kafka/lib",
    "artifacts",
    "**/__pycache__",
    ".pytest_cache",
    ".ruff_cache",
}


def _pip_installs(dockerfile: list[Instruction]) -> list[tuple[int, list[str]]]:
    """Return (instruction index, arguments after `pip install`) of each pip call."""
    installs = []
    for index, instruction in enumerate(dockerfile):
        if instruction.keyword != "RUN":
            continue
        for command in re.split(r"&&|;", instruction.arguments):
            words = shlex.split(command)
            for start in range(len(words) - 1):
                if words[start : start + 2] == ["pip", "install"]:
                    installs.append((index, words[start + 2 :]))
    return installs


def _positional(arguments: list[str]) -> list[str]:
    """Drop options and their values from pip install arguments."""
    takes_value = {"--index-url", "-i", "--extra-index-url", "-r", "--requirement"}
    positional = []
    skip_next = False
    for argument in arguments:
        if skip_next:
            skip_next = False
        elif argument in takes_value:
            skip_next = True
        elif not argument.startswith("-"):
            positional.append(argument)
    return positional


def _copy_sources(dockerfile: list[Instruction]) -> list[tuple[int, list[str]]]:
    copies = []
    for index, instruction in enumerate(dockerfile):
        if instruction.keyword == "COPY":
            words = [w for w in instruction.arguments.split() if not w.startswith("--")]
            copies.append((index, words[:-1]))
    return copies


def _project_installs(dockerfile: list[Instruction]) -> list[int]:
    return [
        index
        for index, arguments in _pip_installs(dockerfile)
        if _positional(arguments) == ["."]
    ]


def test_single_python_base(dockerfile: list[Instruction]) -> None:
    bases = [i.arguments for i in dockerfile if i.keyword == "FROM"]
    assert bases == [BASE_IMAGE]


def test_base_python_meets_requires_python(
    dockerfile: list[Instruction], pyproject: dict[str, Any]
) -> None:
    base = next(i.arguments for i in dockerfile if i.keyword == "FROM")
    match = re.fullmatch(r"python:(\d+\.\d+)(?:\.\d+)?-.*", base)
    assert match, f"base image {base!r} names no Python version"
    requires_python = SpecifierSet(pyproject["project"]["requires-python"])
    assert requires_python.contains(match.group(1))


def test_torch_cpu_installed_first(dockerfile: list[Instruction]) -> None:
    installs = _pip_installs(dockerfile)
    assert installs, "the Dockerfile runs no pip install"
    _, first = installs[0]
    assert first == ["--index-url", TORCH_CPU_INDEX, "torch"]


def test_project_installed_from_pyproject(dockerfile: list[Instruction]) -> None:
    assert _project_installs(dockerfile), "no `pip install .` step"


def test_torch_precedes_project_install(dockerfile: list[Instruction]) -> None:
    torch_step = _pip_installs(dockerfile)[0][0]
    assert torch_step < min(_project_installs(dockerfile))


def test_dependencies_not_duplicated(
    dockerfile: list[Instruction], pyproject: dict[str, Any]
) -> None:
    # pyproject.toml is the only dependency list. Only the CPU build of torch, which
    # needs its own index, is named in the Dockerfile.
    declared = {
        canonicalize_name(Requirement(spec).name)
        for spec in pyproject["project"]["dependencies"]
    }
    assert "torch" in declared
    for _, arguments in _pip_installs(dockerfile):
        assert "-r" not in arguments
        assert "--requirement" not in arguments
        packages = [p for p in _positional(arguments) if p != "."]
        named = {canonicalize_name(Requirement(p).name) for p in packages}
        assert named <= {"torch"}, f"the Dockerfile installs {named - {'torch'}}"


def test_copies_expected_sources(dockerfile: list[Instruction]) -> None:
    copied = {source for _, sources in _copy_sources(dockerfile) for source in sources}
    assert copied == COPIED_SOURCES


@pytest.mark.parametrize("source", sorted(COPIED_SOURCES))
def test_copied_source_exists(source: str) -> None:
    assert (ROOT / source).exists()


def test_copies_every_package(
    dockerfile: list[Instruction], pyproject: dict[str, Any]
) -> None:
    copied = {source for _, sources in _copy_sources(dockerfile) for source in sources}
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    for pattern in include:
        package = pattern.rstrip("*")
        assert f"{package}/" in copied, f"package {package} is not copied"


def test_metadata_copied_before_install(dockerfile: list[Instruction]) -> None:
    # setuptools reads both files to build the project, dependencies included.
    first_install = min(_project_installs(dockerfile))
    for name in ("pyproject.toml", "README.md"):
        copied_at = min(
            i for i, sources in _copy_sources(dockerfile) if name in sources
        )
        assert copied_at < first_install, f"{name} is copied after `pip install .`"


def test_workdir_is_app(dockerfile: list[Instruction]) -> None:
    workdirs = [i.arguments for i in dockerfile if i.keyword == "WORKDIR"]
    assert workdirs == ["/app"]


def test_runs_as_unprivileged_user(dockerfile: list[Instruction]) -> None:
    users = [
        (index, i.arguments)
        for index, i in enumerate(dockerfile)
        if i.keyword == "USER"
    ]
    assert users, "the image runs as root"
    user_index, user = users[-1]
    assert user.split(":")[0] not in {"root", "0"}
    last_install = max(index for index, _ in _pip_installs(dockerfile))
    assert user_index > last_install, "USER must follow the installs, which need root"


def test_artifacts_dir_owned_by_user(dockerfile: list[Instruction]) -> None:
    # Docker seeds an empty named volume from the image, ownership included, so the
    # trainer can write to the `artifacts` volume only if the image's /artifacts is
    # the user's.
    user = [i.arguments for i in dockerfile if i.keyword == "USER"][-1]
    runs = " ".join(i.arguments for i in dockerfile if i.keyword == "RUN")
    assert re.search(rf"chown {user}(:{user})? /artifacts", runs)


def _dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_dockerignore_excludes_local_state() -> None:
    patterns = set(_dockerignore_patterns())
    missing = IGNORED_REQUIRED - patterns
    assert not missing, f".dockerignore lacks {sorted(missing)}"


@pytest.mark.parametrize("source", sorted(COPIED_SOURCES))
def test_dockerignore_keeps_copied_source(source: str) -> None:
    path = source.rstrip("/")
    for pattern in _dockerignore_patterns():
        assert not pattern.startswith("!"), "negated patterns are not handled here"
        assert not fnmatch.fnmatch(path, pattern.strip("/")), (
            f".dockerignore pattern {pattern!r} drops {source}, which the image copies"
        )
