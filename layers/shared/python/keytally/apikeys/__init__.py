"""The API-key resource (Supermetrics' ApiKey) and API keyspaces: rules for listing, issuing and changing them."""
