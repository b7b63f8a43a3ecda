"""A Session: one user's operations on one store (placeholder, filled below)."""

from __future__ import annotations


class Session:
    def __init__(self, store, user=None, settings=None):
        self.store, self.user_id, self.settings = store, user, settings
