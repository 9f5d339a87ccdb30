"""The data-access layer: the only modules that talk to DynamoDB."""
