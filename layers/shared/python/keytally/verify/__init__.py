"""POST /v1/keys/verify: Unkey's verification of product keys, its counters, and the event it leaves."""
