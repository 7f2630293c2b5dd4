"""Business rules, one module per area; routes call these, these hold the SQL."""
