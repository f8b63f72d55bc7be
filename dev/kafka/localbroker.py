"""Run a single-node Apache Kafka broker on 127.0.0.1 without Docker.

The broker is the Kafka release that ``dev/kafka/pom.xml`` copies into
``dev/kafka/lib/`` (``make setup`` runs Maven for that). It runs in KRaft combined
mode: one JVM that is both broker and controller, so no ZooKeeper is needed.

Command line::

    python dev/kafka/localbroker.py up [--port 9092] [--state-dir .kafka]
    python dev/kafka/localbroker.py down [--state-dir .kafka]
    python dev/kafka/localbroker.py status [--state-dir .kafka]

The test suite imports this module and calls :func:`start` and :meth:`Broker.stop`.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

KAFKA_DIR = Path(__file__).resolve().parent
LIB_DIR = KAFKA_DIR / "lib"
DEFAULT_PORT = 9092
DEFAULT_STATE_DIR = KAFKA_DIR.parent.parent / ".kafka"
STARTUP_TIMEOUT_S = 90.0
SHUTDOWN_TIMEOUT_S = 30.0
READY_LOG_LINE = "Kafka Server started"

# Settings chosen for a fast, single-node test broker:
# - replication factor 1 and min ISR 1 for internal topics, because there is one node;
# - group.initial.rebalance.delay.ms=0, so a new consumer group forms at once instead of
#   waiting 3 s for more members;
# - group.min.session.timeout.ms=1000, so tests may use short session timeouts and see
#   a killed consumer leave its group within seconds;
# - one partition for __consumer_offsets, because creating the default 50 costs seconds
#   on the first group and a test broker has few groups;
# - no automatic topic creation, so a missing topic is an error, as on most clusters.
SERVER_PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller_port}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs={data_dir}
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
"""

LOG4J2_PROPERTIES = """\
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log_file}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
"""


class BrokerError(RuntimeError):
    """The local broker could not be started, found or stopped."""


@dataclass(frozen=True)
class Broker:
    """A running local broker: its address, process id and state folder."""

    port: int
    pid: int
    state_dir: Path

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self, timeout_s: float = SHUTDOWN_TIMEOUT_S) -> None:
        """Stop the broker JVM: SIGTERM, then SIGKILL if it outlives the timeout."""
        _terminate(self.pid, timeout_s)
        (self.state_dir / "broker.pid").unlink(missing_ok=True)


def start(
    *,
    port: int = DEFAULT_PORT,
    state_dir: Path = DEFAULT_STATE_DIR,
    die_with_parent: bool = False,
    timeout_s: float = STARTUP_TIMEOUT_S,
) -> Broker:
    """Format the storage on first use, start the broker and wait until it serves.

    With ``die_with_parent`` the kernel sends SIGTERM to the JVM when the calling
    thread exits, so a killed test run cannot leave a broker behind.
    """
    java = _find_java()
    classpath = _classpath()
    _check_port_free(port)
    _check_port_free(port + 1)
    state_dir.mkdir(parents=True, exist_ok=True)
    config = _write_config(state_dir, port)

    # 1. Format the metadata log once; a formatted folder is reused as it is.
    if not (state_dir / "data" / "meta.properties").exists():
        _format_storage(java, classpath, config)

    # 2. Start the JVM in its own session, so that a Ctrl-C in the terminal reaches
    #    the caller, which stops its other processes first and the broker last.
    log_file = state_dir / "logs" / "server.log"
    log_file.unlink(missing_ok=True)
    command = [
        java,
        "-Xms256m",
        "-Xmx768m",
        f"-Dlog4j2.configurationFile={state_dir / 'log4j2.properties'}",
        "-cp",
        classpath,
        "kafka.Kafka",
        str(config),
    ]
    with open(state_dir / "logs" / "stdout.log", "wb") as stdout:
        process = subprocess.Popen(
            command,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent if die_with_parent else None,
        )
    (state_dir / "broker.pid").write_text(f"{process.pid}\n")
    broker = Broker(port=port, pid=process.pid, state_dir=state_dir)

    # 3. Wait for the "started" log line and an open port, or for the JVM to die.
    try:
        _wait_until_ready(process, log_file, port, timeout_s)
    except BaseException:
        broker.stop()
        raise
    return broker


def find_running(state_dir: Path = DEFAULT_STATE_DIR) -> Broker | None:
    """Return the broker recorded in ``state_dir`` if its JVM is still alive."""
    pid_file = state_dir / "broker.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().strip())
    if not _is_our_broker(pid, state_dir):
        pid_file.unlink()
        return None
    config = (state_dir / "server.properties").read_text()
    port = int(config.split("PLAINTEXT://127.0.0.1:")[1].split(",")[0])
    return Broker(port=port, pid=pid, state_dir=state_dir)


def free_port() -> int:
    """Return a free port on 127.0.0.1 whose successor, for the controller, is free."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port < 65535 and _port_is_free(port) and _port_is_free(port + 1):
            return port
    raise BrokerError("found no two adjacent free TCP ports on 127.0.0.1 in 50 tries")


def _find_java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        raise BrokerError(
            "java not found: the local Kafka broker needs Java 17 or newer "
            "(for example `apt-get install openjdk-17-jre-headless`), or set "
            "KAFKA_BOOTSTRAP_SERVERS to an existing broker"
        )
    return java


def _classpath() -> str:
    jars = sorted(LIB_DIR.glob("*.jar"))
    if not any(jar.name.startswith("kafka_2.13-") for jar in jars):
        raise BrokerError(
            f"no Kafka jars in {LIB_DIR}: run `make setup` (it runs "
            "`mvn -q -B -f dev/kafka/pom.xml package`) to fetch them from Maven Central"
        )
    return os.pathsep.join(str(jar) for jar in jars)


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _check_port_free(port: int) -> None:
    if not _port_is_free(port):
        raise BrokerError(
            f"port {port} on 127.0.0.1 is already in use (the broker needs it and "
            f"the next port for its controller): stop what holds it, run "
            f"`make kafka-down` if it is a local broker, or choose another port "
            f"with KAFKA_PORT"
        )


def _write_config(state_dir: Path, port: int) -> Path:
    (state_dir / "logs").mkdir(exist_ok=True)
    config = state_dir / "server.properties"
    config.write_text(
        SERVER_PROPERTIES.format(
            port=port, controller_port=port + 1, data_dir=state_dir / "data"
        )
    )
    (state_dir / "log4j2.properties").write_text(
        LOG4J2_PROPERTIES.format(log_file=state_dir / "logs" / "server.log")
    )
    return config


def _format_storage(java: str, classpath: str, config: Path) -> None:
    cluster_id = _kafka_uuid()
    command = [
        java,
        "-cp",
        classpath,
        "kafka.tools.StorageTool",
        "format",
        "--config",
        str(config),
        "--cluster-id",
        cluster_id,
        "--ignore-formatted",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise BrokerError(
            f"formatting the Kafka storage failed (exit {result.returncode}): "
            f"{result.stdout.strip()} {result.stderr.strip()}"
        )


def _kafka_uuid() -> str:
    # Kafka cluster ids are 16 random bytes in URL-safe base64 without padding.
    # One in 64 of those starts with "-", which the storage tool reads as an
    # option, so such ids are drawn again.
    import base64

    while True:
        encoded = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not encoded.startswith("-"):
            return encoded


def _die_with_parent() -> None:
    # prctl(PR_SET_PDEATHSIG, SIGTERM): Linux only, which is where this script runs.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)


def _wait_until_ready(
    process: subprocess.Popen[bytes], log_file: Path, port: int, timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrokerError(
                f"the Kafka broker exited with code {process.returncode} during "
                f"start-up; last log lines:\n{_tail(log_file)}"
            )
        if _log_contains(log_file, READY_LOG_LINE) and not _port_is_free(port):
            return
        time.sleep(0.2)  # polling the log file; the JVM gives no other signal
    raise BrokerError(
        f"the Kafka broker did not start within {timeout_s:.0f} s; last log lines:\n"
        f"{_tail(log_file)}"
    )


def _log_contains(log_file: Path, needle: str) -> bool:
    try:
        return needle in log_file.read_text(errors="replace")
    except FileNotFoundError:
        return False


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return f"({path} was not written)"


def _is_our_broker(pid: int, state_dir: Path) -> bool:
    # Compare the command line, so a recycled pid is never taken for the broker.
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "kafka.Kafka" in cmdline and str(state_dir) in cmdline


def _terminate(pid: int, timeout_s: float) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    _pid_alive(pid)


def _pid_alive(pid: int) -> bool:
    # Reap the child if it is ours, so a zombie does not count as alive.
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in _proc_state(pid)


def _proc_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (FileNotFoundError, IndexError):
        return "Z"


def _describe(broker: Broker) -> str:
    return f"Kafka broker running at {broker.bootstrap_servers} (pid {broker.pid})"


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run a local single-node Kafka broker."
    )
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("KAFKA_PORT", DEFAULT_PORT)),
        help="client port on 127.0.0.1; the controller uses the next one "
        "(default: $KAFKA_PORT or 9092)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help="folder for the broker's data, logs and pid file (default: .kafka)",
    )
    args = parser.parse_args(argv)
    state_dir = args.state_dir.resolve()
    running = find_running(state_dir)
    try:
        if args.action == "up":
            if running is None:
                running = start(port=args.port, state_dir=state_dir)
            print(_describe(running))
        elif args.action == "down":
            if running is None:
                print("no local Kafka broker is running")
            else:
                running.stop()
                print(f"stopped the Kafka broker at {running.bootstrap_servers}")
        elif running is None:
            print("no local Kafka broker is running")
            return 1
        else:
            print(_describe(running))
    except BrokerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(_main())
