# The conformance kit's fixtures and helpers, from tracer itself.
pytest_plugins = ["tracer.sources.pytest_plugin"]
