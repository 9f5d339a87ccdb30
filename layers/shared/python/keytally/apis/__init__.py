"""APIs (Unkey's term, `/v1/apis`): the keyspaces inside which an organization issues and verifies product keys."""
