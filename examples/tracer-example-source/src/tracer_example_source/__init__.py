"""An example tracer source plugin (see docs/adding-a-source.md)."""
