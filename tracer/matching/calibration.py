"""Fitting the contact model to the workspace's own outcomes (``tracer model calibrate``).

Truth measures, outcomes teach.  Every outcome that says something (a right party, a
wrong party, a disconnected number, returned or delivered mail) is a label for the
contact point it tried, *as tracer would have ranked it the day before the attempt*: the
account's records known by then are matched and ranked again (the workspace's own data,
read through the record store; no source is asked), earlier outcomes counting as
evidence and the attempt itself not.  The coefficients are then the maximum a posteriori
fit of ``outcome ~ identity confidence × sigmoid(coefficients · evidence)`` per kind, with
a Gaussian prior around the conservative prior (:data:`.contact_model.PRIOR`), so a kind
or a source with few outcomes stays near it.  A fifth of the accounts (by a hash of the
account id) is held out of a first fit to report how calibrated the model is on outcomes
it did not see; the saved model is then fitted on all of them.

    model, report = calibrate(ws)
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Sequence

import numpy as np

from ..outcomes import contact_value, outcomes_for, same_debtor_accounts
from .contact_model import (KINDS, PRIOR_COEFFICIENTS, ContactModel, cap,
                            calibrated_through)
from .match_stage import match_and_rank
from .model import MatchModel

log = logging.getLogger("tracer.matching.calibration")

#: What an outcome's verdict says: the contact reached the debtor (1) or did not (0).
LABELS = {"reached": 1, "not_theirs": 0}
#: Prior strength: the inverse variance of the Gaussian around each prior coefficient.
PRIOR_STRENGTH = 1.0
#: Fewer labelled examples than this (or only one class) leave a kind at its prior.
MIN_EXAMPLES = 30
HOLD_OUT = 5                       # one account in HOLD_OUT is held out
BINS = 10
_PERSON_FIELDS = ("first_name", "middle_name", "last_name", "suffix", "dob", "ssn_last4",
                  "street", "unit", "city", "state", "zip", "phone", "email")


@dataclass
class Example:
    kind: str
    evidence: dict[str, float]
    identity: float
    label: int
    account_id: str


def _held_out(account_id: str) -> bool:
    return int(hashlib.sha256(account_id.encode()).hexdigest(), 16) % HOLD_OUT == 0


def collect_examples(ws, model: MatchModel, contact_model: ContactModel, *,
                     accounts: Callable[[], Sequence[dict[str, Any]]] | None = None,
                     progress: Callable[[int, int], None] | None = None) -> list[Example]:
    """One example per labelled outcome whose contact tracer would have found then."""
    from ..sources.record_store import RecordStore

    store = RecordStore(ws)
    rows = list(accounts() if accounts else _accounts_with_outcomes(ws))
    out: list[Example] = []
    for n, account in enumerate(rows, start=1):
        account_id = account["account_id"]
        with ws.unit_of_work() as uow:
            tried = uow.outcomes.attempts(account_id)
        by_day: dict[str, list] = {}
        for channel, key, outcome, day in tried:
            by_day.setdefault(day, []).append((channel, key, outcome))
        query = {f: account[f] for f in _PERSON_FIELDS if account.get(f) not in (None, "")}
        candidates = store.candidates(query) + [
            {**row, "source": "account"} for row in store.account_contacts(account_id)]
        for day, attempts in by_day.items():
            labelled = [(c, k, o) for c, k, o in attempts if _label(c, o) is not None]
            if not labelled:
                continue
            from datetime import date as _date
            attempt_day = _date.fromisoformat(day)

            def earlier(values, before=attempt_day):
                found = outcomes_for(ws, values)
                return {k: [o for o in v if o.date < before] for k, v in found.items()}
            ranked = match_and_rank(
                account, candidates, as_of=attempt_day - timedelta(days=1), model=model,
                contact_model=contact_model, outcomes=earlier,
                same_debtor=lambda debtor, ids: same_debtor_accounts(ws, debtor, ids))
            by_key = {}
            for cp in ranked.contacts:
                got = contact_value(cp.kind, cp.value)
                if got:
                    by_key.setdefault((cp.kind, got[1]), cp)
            for channel, key, outcome in labelled:
                cp = by_key.get((channel, key))
                if cp is not None:
                    out.append(Example(channel, dict(cp.evidence), cp.identity_confidence,
                                       _label(channel, outcome), account_id))
        if progress:
            progress(n, len(rows))
    return out


def _label(channel: str, outcome: str) -> int | None:
    from ..outcomes import OUTCOMES
    return LABELS.get(OUTCOMES[channel][outcome])


def _accounts_with_outcomes(ws) -> list[dict[str, Any]]:
    """Accounts with outcomes that the policy would let anyone trace now: an account
    closed, disputed or in bankruptcy since is not looked at again, not even to learn."""
    from ..consent.policy import load_policy
    policy = load_policy()
    blocking = {f for f, rule in policy.flags.items()
                if rule.get("action") in ("deny", "deny_unless_purpose", "deny_contact_seeking")}
    with ws.unit_of_work() as uow:
        accounts = uow.accounts.with_outcomes()
    out = []
    for found in accounts:
        account = ws.dob_seal.open_row(found.to_dict())
        flags = {f for f in (account.get("flags") or "").split(";") if f}
        if account["status"] in policy.traceable_statuses and not flags & blocking:
            out.append(account)
    return out


# -- fitting --------------------------------------------------------------------------------

def _design(examples: Sequence[Example], names: list[str]) -> np.ndarray:
    x = np.zeros((len(examples), len(names)))
    index = {n: i for i, n in enumerate(names)}
    x[:, index["base"]] = 1.0
    for r, ex in enumerate(examples):
        for name, value in ex.evidence.items():
            if name in index and name != "base":
                x[r, index[name]] = min(float(value), cap(name))
    return x


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def fit_kind(examples: Sequence[Example], prior: dict[str, float], *,
             strength: float = PRIOR_STRENGTH) -> dict[str, float]:
    """MAP coefficients of one kind (see the module docstring)."""
    from scipy.optimize import minimize

    names = sorted({"base", *prior, *(n for ex in examples for n in ex.evidence)})
    x = _design(examples, names)
    y = np.array([ex.label for ex in examples], dtype=float)
    ident = np.clip(np.array([ex.identity for ex in examples], dtype=float), 1e-6, 1.0)
    w0 = np.array([prior.get(n, 0.0) for n in names])

    def objective(w):
        s = _sigmoid(x @ w)
        p = np.clip(ident * s, 1e-9, 1 - 1e-9)
        nll = -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum()
        grad_p = -(y / p - (1 - y) / (1 - p))
        grad = x.T @ (grad_p * ident * s * (1 - s))
        diff = w - w0
        return nll + 0.5 * strength * diff @ diff, grad + strength * diff

    result = minimize(objective, w0, jac=True, method="L-BFGS-B")
    return {n: round(float(v), 4) for n, v in zip(names, result.x)}


def predict(model: ContactModel, examples: Sequence[Example]) -> np.ndarray:
    return np.array([ex.identity * model.p_current(ex.kind, ex.evidence) for ex in examples])


def reliability(model: ContactModel, examples: Sequence[Example]) -> dict[str, Any]:
    """Predicted against observed, in ten equal-width bins, and the calibration error."""
    if not examples:
        return {"examples": 0, "ece": None, "bins": []}
    p = predict(model, examples)
    y = np.array([ex.label for ex in examples], dtype=float)
    which = np.minimum((p * BINS).astype(int), BINS - 1)
    bins, error = [], 0.0
    for b in range(BINS):
        mask = which == b
        if not mask.any():
            continue
        mean_p, observed = float(p[mask].mean()), float(y[mask].mean())
        error += abs(p[mask].sum() - y[mask].sum())
        bins.append({"bin": f"{b / BINS:.1f}-{(b + 1) / BINS:.1f}", "examples": int(mask.sum()),
                     "predicted": round(mean_p, 3), "observed": round(observed, 3)})
    return {"examples": len(examples), "ece": round(error / len(examples), 4), "bins": bins}


def fit(examples: Sequence[Example], prior: ContactModel | None = None, *,
        strength: float | None = None) -> ContactModel:
    """A contact model fitted to ``examples``; kinds without enough of both labels keep
    the prior's coefficients."""
    base = prior.coefficients if prior else PRIOR_COEFFICIENTS
    coefficients, counts = {}, {}
    for kind in KINDS:
        mine = [ex for ex in examples if ex.kind == kind]
        labels = {ex.label for ex in mine}
        counts[kind] = len(mine)
        if len(mine) >= MIN_EXAMPLES and labels == {0, 1}:
            coefficients[kind] = fit_kind(mine, base.get(kind, {}),
                                          strength=PRIOR_STRENGTH if strength is None
                                          else strength)
        else:
            coefficients[kind] = dict(base.get(kind, {}))
    return ContactModel(coefficients, fitted={"examples": counts})


def calibrate(ws, model: MatchModel, *, progress=None) -> tuple[ContactModel, dict[str, Any]]:
    """Examples from the workspace's outcomes, a held-out check, and the model fitted on
    all of them; returns (model, report).  Saving and auditing are the caller's."""
    from .contact_model import PRIOR
    examples = collect_examples(ws, model, PRIOR, progress=progress)
    train = [ex for ex in examples if not _held_out(ex.account_id)]
    test = [ex for ex in examples if _held_out(ex.account_id)]
    checked = fit(train)
    report = {"examples": len(examples),
              "by_kind": {k: sum(1 for ex in examples if ex.kind == k) for k in KINDS},
              "held_out": {k: reliability(checked, [ex for ex in test if ex.kind == k])
                           for k in KINDS},
              "held_out_prior": {k: reliability(PRIOR, [ex for ex in test if ex.kind == k])
                                 for k in KINDS}}
    final = fit(examples)
    final.fitted.update({"held_out": report["held_out"], "examples_total": len(examples)})
    return final, report


def needs_calibration(ws) -> bool:
    """Have outcomes arrived since the latest fit?"""
    from ..outcomes import outcomes_seen
    return outcomes_seen(ws) > calibrated_through(ws)


def calibrate_workspace(ws, *, actor: str | None, progress=None) -> tuple[ContactModel, dict]:
    """Fit, save as the next contact model version and audit ``model_calibrated``."""
    from ..audit.trail import AuditTrail
    from ..outcomes import outcomes_seen
    from .contact_model import save_contact_model
    from .model_store import workspace_model

    seen = outcomes_seen(ws)
    if not seen:
        from ..errors import InputError
        raise InputError("the workspace has no outcomes to calibrate on: run "
                         "`tracer outcomes import` first")
    model, report = calibrate(ws, workspace_model(ws), progress=progress)
    version = save_contact_model(ws, model, seen)
    AuditTrail(ws).append("model_calibrated", {
        "version": version, "outcomes_seen": seen, "examples": report["by_kind"],
        "held_out_ece": {k: v["ece"] for k, v in report["held_out"].items()},
        "held_out_ece_prior": {k: v["ece"] for k, v in report["held_out_prior"].items()},
    }, actor=actor)
    return model, report
