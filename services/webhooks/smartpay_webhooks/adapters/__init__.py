"""DynamoDB, KMS, SQS and HTTP behind the ports; in-memory fakes for unit tests."""
