"""Operator and developer tools (CLI, local API, embedded store, demo data); not shipped in the Lambda layer."""
