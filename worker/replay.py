"""Run the main job end to end on a replay file and print what the worker made of it.

``make run`` calls this module. In order, it:

1. finds a broker (``KAFKA_BOOTSTRAP_SERVERS``, a local broker already running, or a
   local broker it starts itself) and creates the worker's topics if they are missing;
2. starts ``python -m worker`` as a child process and waits until ``/readyz`` is 200;
3. replays the file into the input topic with the replay producer;
4. waits until the worker's consumer group has committed every replayed offset;
5. reads back the enriched and dead-lettered records of this run, writes the enriched
   ones to a JSON Lines file and prints a summary;
6. stops the worker and the broker it started, or with ``--keep-running`` leaves both
   running until Ctrl-C. Ctrl-C at any step stops what was started.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from tqdm import tqdm

from worker.produce import (
    ColumnMapping,
    ReplayError,
    build_records,
    publish,
    read_table,
)
from worker.replay_report import RunTotals, collect_records, print_summary, write_jsonl
from worker.topics import ensure_topics

log = logging.getLogger("worker.replay")

ROOT = Path(__file__).resolve().parent.parent

TOPIC_PARTITIONS = 4
READY_TIMEOUT_S = 180.0
WORKER_STOP_TIMEOUT_S = 40.0


class ReplayRunError(RuntimeError):
    """A step of the end-to-end replay failed; the message names the step."""


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m worker.replay",
        description="Start a broker and the worker, replay a file through them and "
        "print a summary of the classifications.",
    )
    parser.add_argument(
        "file", type=Path, help="CSV, XLSX or JSON Lines file to replay"
    )
    parser.add_argument("--id-column", default="complaint_id")
    parser.add_argument("--text-column", default="text")
    parser.add_argument(
        "--artifacts", type=Path, default=ROOT / "artifacts" / "default"
    )
    parser.add_argument("--input-topic", default="feedback.raw")
    parser.add_argument("--output-topic", default="feedback.enriched")
    parser.add_argument("--dlq-topic", default="feedback.dlq")
    parser.add_argument("--group-id", default="feedback-worker")
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=9108,
        help="worker metrics port (default 9108)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="JSON Lines file for the enriched records "
        "(default: runs/replay-<UTC time>/enriched.jsonl)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="maximum wait for the worker to process the replay, in seconds "
        "(default 600)",
    )
    parser.add_argument(
        "--keep-running",
        action="store_true",
        help="leave the worker and broker running after the summary, until Ctrl-C",
    )
    parser.add_argument(
        "--worker-arg",
        action="append",
        default=[],
        help="extra option passed to python -m worker, for example "
        "--worker-arg=--max-batch-size=64; repeatable",
    )
    return parser.parse_args(argv)


@contextmanager
def _broker() -> Iterator[str]:
    """Yield a bootstrap address, and stop the local broker after if this started it."""
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        log.info("using the broker at %s (KAFKA_BOOTSTRAP_SERVERS)", configured)
        yield configured
        return
    # dev/kafka contains a script, not an installed package.
    sys.path.insert(0, str(ROOT / "dev" / "kafka"))
    import localbroker

    running = localbroker.find_running()
    if running is not None:
        log.info("using the local broker at %s", running.bootstrap_servers)
        yield running.bootstrap_servers
        return
    port = int(os.environ.get("KAFKA_PORT", localbroker.DEFAULT_PORT))
    log.info("starting a local Kafka broker on 127.0.0.1:%d", port)
    try:
        broker = localbroker.start(port=port, die_with_parent=True)
    except localbroker.BrokerError as exc:
        raise ReplayRunError(f"starting the local Kafka broker failed: {exc}") from exc
    try:
        yield broker.bootstrap_servers
    finally:
        log.info("stopping the local Kafka broker at %s", broker.bootstrap_servers)
        broker.stop()


def _end_offsets(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        client_id="feedback-replay",
    )
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        return consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
    finally:
        consumer.close()


def _worker_command(args: argparse.Namespace, bootstrap: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "worker",
        "--bootstrap-servers",
        bootstrap,
        "--input-topic",
        args.input_topic,
        "--output-topic",
        args.output_topic,
        "--dlq-topic",
        args.dlq_topic,
        "--group-id",
        args.group_id,
        "--artifacts",
        str(args.artifacts),
        "--metrics-port",
        str(args.metrics_port),
        *args.worker_arg,
    ]


@contextmanager
def _worker_process(command: list[str]) -> Iterator[subprocess.Popen]:
    """Start the worker; on exit, SIGTERM it and wait for its clean stop."""
    process = subprocess.Popen(command)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=WORKER_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                log.error("worker pid %d ignored SIGTERM; killing it", process.pid)
                process.kill()
                process.wait()
        log.info("worker stopped with exit code %s", process.returncode)


def _wait_until_ready(process: subprocess.Popen, port: int) -> None:
    url = f"http://127.0.0.1:{port}/readyz"
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ReplayRunError(
                f"the worker exited with code {process.returncode} during start-up; "
                f"its log above says why"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)  # polling an HTTP endpoint, the only readiness signal
    raise ReplayRunError(
        f"the worker was not ready at {url} within {READY_TIMEOUT_S} s"
    )


def _wait_until_committed(
    bootstrap: str,
    group_id: str,
    start: dict[TopicPartition, int],
    targets: dict[TopicPartition, int],
    process: subprocess.Popen,
    timeout_s: float,
) -> None:
    """Wait, with a progress bar, until the group's committed offsets reach targets.

    The bar counts the offsets from ``start`` to ``targets``, that is this run's
    records.
    """
    # A consumer that never subscribes does not join the group, but it can fetch
    # the group's committed offsets.
    reader = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group_id,
        enable_auto_commit=False,
        client_id="feedback-replay",
    )
    total = sum(end - start.get(tp, 0) for tp, end in targets.items())
    deadline = time.monotonic() + timeout_s
    try:
        with tqdm(total=total, unit="rec", desc="processed") as bar:
            while True:
                done = sum(
                    max(0, min(reader.committed(tp) or 0, end) - start.get(tp, 0))
                    for tp, end in targets.items()
                )
                bar.update(done - bar.n)
                if done >= total:
                    return
                if process.poll() is not None:
                    raise ReplayRunError(
                        f"the worker exited with code {process.returncode} after "
                        f"{done} of {total} offsets were committed"
                    )
                if time.monotonic() > deadline:
                    raise ReplayRunError(
                        f"timed out after {timeout_s:.0f} s with {done} of {total} "
                        f"offsets committed; raise --timeout for slower machines"
                    )
                time.sleep(0.5)  # polling the group's offsets; Kafka pushes nothing
    finally:
        reader.close()


def _from_this_run(position: dict, input_start: dict[TopicPartition, int]) -> bool:
    tp = TopicPartition(position["topic"], position["partition"])
    return tp in input_start and position["offset"] >= input_start[tp]


def _scrape_metric(port: int, name: str) -> float | None:
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            text = response.read().decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


def run(args: argparse.Namespace) -> int:
    """Run steps 1 to 6 of the module docstring; return the exit status."""
    mapping = ColumnMapping(args.id_column, args.text_column)
    records = list(build_records(read_table(args.file), mapping))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or ROOT / "runs" / f"replay-{stamp}" / "enriched.jsonl"
    with ExitStack() as stack:
        # 1. Broker and topics. The start offsets of the output topics separate this
        #    run's records from earlier runs'.
        bootstrap = stack.enter_context(_broker())
        ensure_topics(
            bootstrap,
            [args.input_topic, args.output_topic, args.dlq_topic],
            partitions=TOPIC_PARTITIONS,
        )
        output_start = _end_offsets(bootstrap, args.output_topic)
        dlq_start = _end_offsets(bootstrap, args.dlq_topic)

        # 2. Worker.
        process = stack.enter_context(_worker_process(_worker_command(args, bootstrap)))
        _wait_until_ready(process, args.metrics_port)

        # 3. Replay. Records before ``input_start`` are older runs' backlog, which
        #    the worker also processes but the summary leaves out.
        input_start = _end_offsets(bootstrap, args.input_topic)
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
        started = time.monotonic()
        try:
            publish(
                records, producer=producer, topic=args.input_topic, desc="published"
            )
        finally:
            producer.close()
        input_end = _end_offsets(bootstrap, args.input_topic)

        # 4. Wait for the worker.
        _wait_until_committed(
            bootstrap, args.group_id, input_start, input_end, process, args.timeout
        )
        elapsed = time.monotonic() - started

        # 5. Read back, write and summarise.
        enriched = [
            value
            for value in collect_records(bootstrap, output_start)
            if _from_this_run(value["classification"]["input"], input_start)
        ]
        dead_lettered = [
            value
            for value in collect_records(bootstrap, dlq_start)
            if _from_this_run(value["source"], input_start)
        ]
        write_jsonl(out, enriched)
        totals = RunTotals(
            replayed=len(records),
            enriched=len(enriched),
            dead_lettered=len(dead_lettered),
            elapsed_s=elapsed,
        )
        metrics_url = f"http://127.0.0.1:{args.metrics_port}/metrics"
        consumed = _scrape_metric(
            args.metrics_port, "feedback_worker_records_consumed_total"
        )
        print_summary(totals, enriched, dead_lettered, out, metrics_url, consumed)

        # 6. Keep running on request; leaving the ExitStack stops the worker first,
        #    then the broker.
        if args.keep_running:
            print(f"\nThe worker and broker keep running: {metrics_url}")
            print("Press Ctrl-C to stop them.")
            signal.pause()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the end-to-end replay from the command line; return the exit status."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    # kafka-python logs every connection at INFO; its warnings and errors still show.
    logging.getLogger("kafka").setLevel(logging.WARNING)
    args = _parse_args(argv)
    # SIGTERM takes the same path as Ctrl-C, so a killed run still stops the worker
    # and the broker it started.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return run(args)
    except KeyboardInterrupt:
        log.info("interrupted; everything this run started has been stopped")
        return 130
    except (ReplayRunError, ReplayError, TimeoutError) as exc:
        log.error("%s", exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
