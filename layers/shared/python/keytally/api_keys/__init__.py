"""The API-key resource (Supermetrics' ApiKey): rules for listing, issuing, changing and revoking keys."""
