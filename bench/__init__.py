"""Benchmarks: `python -m bench` runs every part and writes docs/benchmarks.md."""
