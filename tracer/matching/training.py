"""Which match model a workspace uses: the latest trained one saved in it, else the
shipped defaults (``config/matching.toml``)."""

from __future__ import annotations

import json

from .model import MatchModel, default_model


def workspace_model(ws) -> MatchModel:
    row = ws.conn.execute(
        "SELECT model FROM match_models ORDER BY version DESC LIMIT 1").fetchone()
    if row:
        return MatchModel.from_dict(json.loads(row[0]))
    return default_model()
