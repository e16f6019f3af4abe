"""The anonymous survey responses: one interface (`base`); SQLite, DynamoDB, memory adapters."""
