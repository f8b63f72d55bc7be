"""Command-line options of ``python -m worker``, one per setting.

Each option mirrors a `WorkerSettings` field and its ``WORKER_`` environment variable.
A flag on the command line wins over the environment. The Kafka security settings
have no flag, so credentials never show in the process list.
"""

from __future__ import annotations

import argparse
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic.fields import FieldInfo

from worker.exceptions import SettingsError
from worker.settings import ENVIRONMENT_ONLY, WorkerSettings

ENV_PREFIX = "WORKER_"

EPILOG = """\
Kafka security settings come from the environment only: WORKER_SECURITY_PROTOCOL,
WORKER_SASL_MECHANISM, WORKER_SASL_PLAIN_USERNAME, WORKER_SASL_PLAIN_PASSWORD,
WORKER_SSL_CAFILE, WORKER_SSL_CERTFILE and WORKER_SSL_KEYFILE.

Exit status: 0 after a stop request (SIGTERM, SIGINT) or the end of a replay,
1 when records cannot be delivered or the model fails, 2 for an invalid setting,
3 when the worker cannot start (broker, topics, model artifacts, metrics port).
"""


def build_parser() -> argparse.ArgumentParser:
    """Build the parser with one option per command-line setting."""
    parser = argparse.ArgumentParser(
        prog="python -m worker",
        description="Classify telecom feedback records from Kafka in micro-batches "
        "and publish them enriched with category and sentiment.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for name, field in WorkerSettings.model_fields.items():
        if name not in ENVIRONMENT_ONLY:
            _add_option(parser, name, field)
    return parser


def _add_option(parser: argparse.ArgumentParser, name: str, field: FieldInfo) -> None:
    flag = "--" + name.replace("_", "-")
    default = "none" if field.default is None else str(field.default)
    help_text = (
        f"{field.description} Default: {default}. "
        f"Environment: {environment_variable(name)}."
    ).replace("%", "%%")
    # default=None marks "not given", so the environment or the field default apply.
    if field.annotation is bool:
        parser.add_argument(
            flag, action=argparse.BooleanOptionalAction, default=None, help=help_text
        )
        return
    choices = _literal_choices(field.annotation)
    parser.add_argument(
        flag,
        default=None,
        choices=choices,
        metavar=None if choices else name.upper(),
        help=help_text,
    )


def _literal_choices(annotation: Any) -> list[str] | None:
    if typing.get_origin(annotation) is typing.Literal:
        return [str(choice) for choice in typing.get_args(annotation)]
    return None


def environment_variable(name: str) -> str:
    """Return the environment variable of the setting ``name``."""
    return ENV_PREFIX + name.upper()


def parse_settings(argv: Sequence[str] | None = None) -> WorkerSettings:
    """Build the settings from the environment and the command line.

    Raises:
        SystemExit: for ``--help`` and for unknown options (argparse's behaviour).
        SettingsError: naming each invalid value, where it came from, and the rule.
    """
    arguments = build_parser().parse_args(argv)
    overrides = {
        name: value for name, value in vars(arguments).items() if value is not None
    }
    try:
        return WorkerSettings(**overrides)
    except ValidationError as exc:
        raise SettingsError(describe_validation_error(exc, overrides)) from exc


def describe_validation_error(
    exc: ValidationError, overrides: Mapping[str, object]
) -> str:
    """Describe each invalid setting with the flag or variable that set it."""
    problems = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        if not error["loc"]:
            problems.append(f"invalid settings: {message}")
            continue
        source = _source(str(error["loc"][0]), overrides)
        problems.append(f"invalid value {error['input']!r} for {source}: {message}")
    return "\n".join(problems)


def _source(name: str, overrides: Mapping[str, object]) -> str:
    if name in overrides:
        return "--" + name.replace("_", "-")
    return environment_variable(name)
