"""Where submissions are kept: one interface (`base`), a DynamoDB and an SQLite adapter."""
