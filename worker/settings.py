"""Worker settings: one frozen, validated model for the whole process.

`WorkerSettings()` reads the environment (prefix ``WORKER_``, for example
``WORKER_BOOTSTRAP_SERVERS``). Keyword arguments override the environment, which is how
``python -m worker`` lets command-line flags win. Build the settings once at start-up
and pass the object down; nothing else in the package reads the environment.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Kafka's own rule for topic names (kafka.common.internals.Topic in the Java client).
_TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
# The SASL mechanisms that need nothing but a user name and a password. GSSAPI and
# OAUTHBEARER need objects that an environment variable cannot carry.
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
LogFormat = Literal["text", "json"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]

# Settings that only the environment sets: credentials must not appear in `ps` output.
ENVIRONMENT_ONLY = frozenset(
    {
        "security_protocol",
        "sasl_mechanism",
        "sasl_plain_username",
        "sasl_plain_password",
        "ssl_cafile",
        "ssl_certfile",
        "ssl_keyfile",
    }
)


class WorkerSettings(BaseSettings):
    """Settings of one worker process, each also read from ``WORKER_<FIELD>``."""

    model_config = SettingsConfigDict(
        env_prefix="WORKER_", frozen=True, extra="forbid", validate_default=True
    )

    # Kafka topics and group
    bootstrap_servers: str = Field(
        "127.0.0.1:9092",
        description="Kafka bootstrap servers, comma-separated host:port pairs.",
    )
    input_topic: str = Field(
        "feedback.raw", description="Topic of the raw feedback records."
    )
    output_topic: str = Field(
        "feedback.enriched", description="Topic of the classified records."
    )
    dlq_topic: str = Field(
        "feedback.dlq", description="Dead-letter topic for records that fail."
    )
    group_id: str = Field("feedback-worker", description="Kafka consumer group id.")
    client_id: str = Field(
        "feedback-worker", description="Kafka client id, shown in broker logs."
    )

    # Model
    artifacts: Path = Field(
        Path("artifacts/default"), description="Directory of the model artifacts."
    )
    model_variant: str = Field(
        "onnx",
        min_length=1,
        description="Serving variant of the model: onnx (ONNX Runtime, the fastest "
        "with float32 results), float32 (PyTorch) or int8 (quantized PyTorch).",
    )
    model_process: bool = Field(
        True,
        description="Run the model in a child process. In the worker's own process "
        "the model waits for the GIL whenever the Kafka clients hold it.",
    )
    inference_threads: int = Field(
        1,
        ge=1,
        le=256,
        description="Threads PyTorch uses for inference. More than 1 pays off only "
        "on cores that the Kafka client threads leave idle.",
    )
    low_confidence_threshold: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        description="Confidence below which a prediction counts as low confidence.",
    )

    # Micro-batching
    max_batch_size: int = Field(
        256, ge=1, le=10_000, description="Maximum number of records per micro-batch."
    )
    max_batch_wait_ms: int = Field(
        100,
        ge=1,
        le=60_000,
        description="Maximum time to fill a micro-batch after its first record, in ms.",
    )

    # Replay
    stop_at_end: bool = Field(
        False,
        description="Replay mode: exit 0 once the end offsets that existed at "
        "start-up are processed.",
    )
    from_timestamp: AwareDatetime | None = Field(
        None,
        description="Replay mode: start each partition at its first record at or "
        "after this ISO 8601 time with a UTC offset, for example "
        "2024-05-01T00:00:00Z.",
    )

    # Consumer group timing
    session_timeout_ms: int = Field(
        45_000,
        ge=1_000,
        description="Consumer session timeout: the group drops a member whose "
        "heartbeats stop for this long, in ms.",
    )
    heartbeat_interval_ms: int = Field(
        3_000, ge=100, description="Interval between consumer heartbeats, in ms."
    )
    max_poll_interval_ms: int = Field(
        300_000,
        ge=1_000,
        description="Maximum time between two polls before the member leaves the "
        "group, in ms.",
    )

    # Producer and delivery
    linger_ms: int = Field(
        5, ge=0, le=10_000, description="Producer linger time before a send, in ms."
    )
    delivery_timeout_ms: int = Field(
        120_000,
        ge=5_000,
        description="Producer limit on the time to deliver one record, retries "
        "included, in ms.",
    )
    send_attempts: int = Field(
        5,
        ge=1,
        le=100,
        description="Attempts to deliver a batch's records before the worker stops "
        "without committing.",
    )
    send_backoff_ms: int = Field(
        500,
        ge=0,
        le=60_000,
        description="Wait before the second delivery attempt, doubled for each "
        "further attempt, in ms.",
    )

    # Start and stop
    startup_timeout_ms: int = Field(
        15_000,
        ge=100,
        description="Maximum time to reach the broker and read topic metadata at "
        "start-up, in ms.",
    )
    shutdown_timeout_ms: int = Field(
        10_000,
        ge=100,
        le=25_000,
        description="Maximum time for each of the final commit, leaving the group "
        "and closing the producer, in ms.",
    )

    # Observability
    metrics_host: str = Field(
        "127.0.0.1",
        min_length=1,
        description="Address the HTTP server binds, 0.0.0.0 in containers.",
    )
    metrics_port: int = Field(
        9108,
        ge=0,
        le=65_535,
        description="Port of /metrics, /healthz and /readyz, or 0 for no server.",
    )
    log_format: LogFormat = Field("text", description="Log line format.")
    log_level: LogLevel = Field("INFO", description="Minimum level of log lines.")

    # Kafka security, from the environment only (see ENVIRONMENT_ONLY)
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_plain_username: str | None = None
    sasl_plain_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None

    @field_validator("bootstrap_servers")
    @classmethod
    def _check_bootstrap_servers(cls, value: str) -> str:
        servers = [server.strip() for server in value.split(",")]
        for server in servers:
            host, _, port = server.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65_536:
                raise ValueError(
                    f"{server!r} is not host:port, for example 127.0.0.1:9092"
                )
        return ",".join(servers)

    @field_validator("input_topic", "output_topic", "dlq_topic")
    @classmethod
    def _check_topic_name(cls, value: str) -> str:
        if not _TOPIC_NAME.match(value) or value in {".", ".."}:
            raise ValueError(
                f"{value!r} is not a valid Kafka topic name: use 1 to 249 characters "
                "from A-Z, a-z, 0-9, '.', '_' and '-'"
            )
        return value

    @field_validator("group_id", "client_id")
    @classmethod
    def _check_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty or whitespace")
        return value

    @field_validator("ssl_cafile", "ssl_certfile", "ssl_keyfile")
    @classmethod
    def _check_file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"file {str(value)!r} not found")
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> WorkerSettings:
        topics = [self.input_topic, self.output_topic, self.dlq_topic]
        if len(set(topics)) != len(topics):
            raise ValueError(
                "input_topic, output_topic and dlq_topic must be three different "
                f"topics, got {topics}"
            )
        if self.heartbeat_interval_ms >= self.session_timeout_ms:
            raise ValueError(
                f"heartbeat_interval_ms ({self.heartbeat_interval_ms}) must be lower "
                f"than session_timeout_ms ({self.session_timeout_ms}); a third of it "
                "is usual"
            )
        if self.delivery_timeout_ms <= self.linger_ms + 1_000:
            raise ValueError(
                f"delivery_timeout_ms ({self.delivery_timeout_ms}) must exceed "
                f"linger_ms ({self.linger_ms}) by more than 1000 ms"
            )
        self._check_sasl()
        return self

    def _check_sasl(self) -> None:
        uses_sasl = self.security_protocol.startswith("SASL_")
        if uses_sasl and self.sasl_mechanism is None:
            raise ValueError(
                f"security_protocol {self.security_protocol} needs sasl_mechanism: "
                "set WORKER_SASL_MECHANISM to PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"
            )
        if not uses_sasl and self.sasl_mechanism is not None:
            raise ValueError(
                f"sasl_mechanism {self.sasl_mechanism} needs security_protocol "
                "SASL_PLAINTEXT or SASL_SSL"
            )
        if uses_sasl and (
            self.sasl_plain_username is None or self.sasl_plain_password is None
        ):
            raise ValueError(
                f"sasl_mechanism {self.sasl_mechanism} needs "
                "WORKER_SASL_PLAIN_USERNAME and WORKER_SASL_PLAIN_PASSWORD"
            )

    def kafka_client_configs(self) -> dict[str, Any]:
        """Return the connection keyword arguments shared by consumer and producer.

        This is the only place where the SASL password leaves its `SecretStr`.
        """
        configs: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers.split(","),
            "client_id": self.client_id,
            "security_protocol": self.security_protocol,
            "bootstrap_timeout_ms": self.startup_timeout_ms,
        }
        if self.sasl_mechanism is not None:
            configs["sasl_mechanism"] = self.sasl_mechanism
            configs["sasl_plain_username"] = self.sasl_plain_username
            assert self.sasl_plain_password is not None  # checked in _check_sasl
            configs["sasl_plain_password"] = self.sasl_plain_password.get_secret_value()
        for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            path = getattr(self, name)
            if path is not None:
                configs[name] = str(path)
        return configs

    def summary(self) -> str:
        """Return every setting as ``key=value`` pairs for the start-up log line.

        Secrets appear as ``***`` when set, never in clear.
        """
        pairs = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                rendered = "***"
            elif value is None:
                rendered = "-"
            elif isinstance(value, datetime):
                rendered = value.isoformat()
            else:
                rendered = str(value)
            pairs.append(f"{name}={rendered}")
        return " ".join(pairs)
