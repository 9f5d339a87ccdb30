"""Organizations as a credential sees them (`GET /v1/organizations`)."""
