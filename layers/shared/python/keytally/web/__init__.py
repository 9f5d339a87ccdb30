"""HTTP plumbing shared by every API function: envelope, errors, authentication middleware, OpenAPI."""
