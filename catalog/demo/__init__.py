"""The demo city: departments, accounts and a realistic catalog."""
