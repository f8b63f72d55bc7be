"""Read back what a replay run produced, and summarise it for a person."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition

READ_TIMEOUT_S = 60.0
EXAMPLE_COUNT = 6


@dataclass(frozen=True)
class RunTotals:
    """Counts and wall time of one replay run."""

    replayed: int
    enriched: int
    dead_lettered: int
    elapsed_s: float

    @property
    def records_per_second(self) -> float:
        processed = self.enriched + self.dead_lettered
        return processed / self.elapsed_s if self.elapsed_s > 0 else 0.0


def collect_records(bootstrap: str, start: dict[TopicPartition, int]) -> list[dict]:
    """Return the JSON values from the ``start`` offsets to the current end offsets."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id="feedback-replay-reader",
        enable_auto_commit=False,
    )
    values: list[dict] = []
    try:
        partitions = list(start)
        consumer.assign(partitions)
        end = consumer.end_offsets(partitions)
        for tp, offset in start.items():
            consumer.seek(tp, offset)
        deadline = time.monotonic() + READ_TIMEOUT_S
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"reading back {partitions[0].topic} timed out after "
                    f"{READ_TIMEOUT_S:.0f} s with {len(values)} records read"
                )
            for tp, records in consumer.poll(timeout_ms=500).items():
                # Records written after ``end`` belong to later runs.
                values.extend(
                    json.loads(r.value) for r in records if r.offset < end[tp]
                )
    finally:
        consumer.close()
    return values


def write_jsonl(path: Path, values: list[dict]) -> None:
    """Write one JSON object per line, creating the folder if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        for value in values:
            out.write(json.dumps(value, ensure_ascii=False) + "\n")


def print_summary(
    totals: RunTotals,
    enriched: list[dict],
    dead_lettered: list[dict],
    out: Path,
    metrics_url: str,
    consumed_metric: float | None,
) -> None:
    """Print counts, throughput, label mix, dead-letter reasons and a few examples."""
    classifications = [value["classification"] for value in enriched]
    print()
    print("Replay summary")
    print("==============")
    print(f"records replayed       {totals.replayed:>8}")
    print(f"records enriched       {totals.enriched:>8}")
    print(f"records dead-lettered  {totals.dead_lettered:>8}")
    print(f"wall time              {totals.elapsed_s:>8.1f} s")
    print(f"throughput             {totals.records_per_second:>8.1f} records/s")
    _print_counts("category", Counter(c["category"] for c in classifications))
    _print_counts("sentiment", Counter(c["sentiment"] for c in classifications))
    if dead_lettered:
        _print_counts(
            "dead-letter reason", Counter(v.get("reason") for v in dead_lettered)
        )
    print("\nExamples")
    for value in enriched[:EXAMPLE_COUNT]:
        c = value["classification"]
        print(
            f"  {value['complaint_id']:>8}  {c['category']:<16} "
            f"{c['category_confidence']:.2f}  {c['sentiment']:<8} "
            f"{c['sentiment_confidence']:.2f}  {value['text'][:60]!r}"
        )
    print(f"\nEnriched records written to {out}")
    print(f"Metrics were served at {metrics_url}", end="")
    if consumed_metric is not None:
        print(f" (feedback_worker_records_consumed_total {consumed_metric:.0f})")
    else:
        print()


def _print_counts(title: str, counts: Counter) -> None:
    total = sum(counts.values()) or 1
    print(f"\nby {title}")
    for label, count in counts.most_common():
        print(f"  {str(label):<20} {count:>6}  {count / total:>6.1%}")
