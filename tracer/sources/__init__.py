"""Source adapters and their plugin registry."""
