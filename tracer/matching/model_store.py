"""The workspace's match model: the latest saved version, or one trained on the records
table (a spread sample) and saved as the next version.

Apart from the trainer (:mod:`.training`), which :mod:`.resolve` builds on: training on
the workspace runs the whole resolve pipeline, so keeping this here breaks the
resolve -> training -> resolve cycle.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from . import training
from .model import MatchModel, default_model
from .resolve import ResolveConfig, resolve_rows
from .training import term_frequencies_of


def workspace_model(ws, *, auto_train: bool = True) -> MatchModel:
    """The latest saved model; trains and saves one first when there is none and the
    workspace holds at least :data:`~.training.AUTO_TRAIN_MIN_RECORDS` records."""
    with ws.unit_of_work() as uow:
        row = uow.models.latest_match()
    if row:
        model = MatchModel.from_dict(json.loads(row[1]))
        model.version = row[0]
        return model
    if auto_train and record_count(ws) >= training.AUTO_TRAIN_MIN_RECORDS:
        model = train_workspace_model(ws)
        model.version = save_model(ws, model)
        return model
    return default_model()


def record_count(ws) -> int:
    with ws.unit_of_work() as uow:
        return uow.records.count()


def train_workspace_model(ws, *, max_records: int | None = None) -> MatchModel:
    """Train on the workspace's records table (a spread sample of at most ``max_records``,
    :data:`~.training.TRAIN_MAX_RECORDS` by default)."""
    total = record_count(ws)
    step = max(1, total // (max_records or training.TRAIN_MAX_RECORDS))
    with ws.unit_of_work() as uow:
        rows = [ws.dob_seal.open_row(row) for row in uow.records.sample(step)]
    if len(rows) < 2:
        return default_model()
    result = resolve_rows(rows, ResolveConfig())
    model = result.model
    model.trained_on["source"] = f"workspace records table ({len(rows):,} of {total:,} records)"
    model.settings["term_frequencies"] = term_frequencies_of(result.table)
    return model


def save_model(ws, model: MatchModel) -> int:
    """Store ``model`` as the workspace's next version; returns the version."""
    with ws.unit_of_work(write=True) as uow:
        return uow.models.save_match(
            model.to_json(), created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
