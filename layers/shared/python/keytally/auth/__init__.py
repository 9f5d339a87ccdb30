"""Authentication and authorization: credentials, principals, scopes, roles, rate limits."""
