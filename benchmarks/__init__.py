"""Benchmarks: `make bench` (or `python -m benchmarks.run [--quick]`) runs every bench_*.py."""
