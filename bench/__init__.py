"""Throughput and latency benchmarks of the worker against a real Kafka broker."""
