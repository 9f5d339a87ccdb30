"""POST /v1/events: request logs of an organization's own API, idempotent by event_id."""
