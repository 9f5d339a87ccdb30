"""Operator and developer tools: the CLI, the local API, the embedded store, demo data. Never shipped to Lambda."""
