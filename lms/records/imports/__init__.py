"""The import of training history from a previous system, from a CSV file."""
