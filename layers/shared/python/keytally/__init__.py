"""keytally: API-key management and usage analytics on AWS Lambda and DynamoDB (the shared layer)."""
