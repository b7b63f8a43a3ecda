"""Shipped settings (TOML files); installed as the package data of tracer.config."""
