"""Timestream's record model in plain Python: events, time buckets, rollup rows and latency sketches. No I/O."""
