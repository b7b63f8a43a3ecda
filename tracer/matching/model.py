"""Fellegi-Sunter scoring: a match weight per pair as the sum of per-comparison log2
Bayes factors (m/u), kept per field so every score can be explained as a waterfall."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..settings import load_toml
from .comparisons import PEOPLE_COMPARISONS, Comparison
from .features import Features

MODEL_FORMAT = 1


@dataclass(frozen=True)
class PairScore:
    probability: float
    weight: float
    #: (comparison, level label, log2 Bayes factor) per comparison, in order.
    evidence: tuple[tuple[str, str, float], ...]
    levels: tuple[int, ...]

    def explain(self, top: int = 3) -> str:
        parts = [f"{name} {label}" for name, label, bf in
                 sorted(self.evidence, key=lambda e: -e[2]) if bf > 0.5][:top]
        return ", ".join(parts) if parts else "weak evidence"


@dataclass
class MatchModel:
    comparisons: tuple[Comparison, ...]
    m: dict[str, dict[str, float]]
    u: dict[str, dict[str, float]]
    prior: float
    settings: dict[str, Any] = field(default_factory=dict)
    trained_on: dict[str, Any] = field(default_factory=dict)
    #: the workspace's model version (0: the shipped defaults, or not saved)
    version: int = 0

    def __post_init__(self) -> None:
        self._compiled = [c.compile() for c in self.comparisons]
        self._log_bf: list[list[float]] = []
        for comp in self.comparisons:
            row = []
            for level in comp.levels:
                if level.is_null:
                    row.append(0.0)
                    continue
                m = self.m.get(comp.name, {}).get(level.label, 0.01)
                u = self.u.get(comp.name, {}).get(level.label, 0.01)
                row.append(math.log2(max(m, 1e-9) / max(u, 1e-12)))
            self._log_bf.append(row)
        self._prior_weight = math.log2(self.prior / (1 - self.prior))

    # -- scoring ----------------------------------------------------------------------------
    def levels(self, fa: Features, fb: Features) -> tuple[int, ...]:
        return tuple(fn(fa, fb) for fn in self._compiled)

    def score_levels(self, levels: Sequence[int], extra_weight: float = 0.0) -> PairScore:
        weight = self._prior_weight + extra_weight
        evidence = []
        for comp, row, index in zip(self.comparisons, self._log_bf, levels):
            bf = row[index]
            weight += bf
            evidence.append((comp.name, comp.levels[index].label, bf))
        probability = 1.0 / (1.0 + 2.0 ** (-weight)) if weight > -1000 else 0.0
        return PairScore(probability, weight, tuple(evidence), tuple(levels))

    def score(self, fa: Features, fb: Features) -> PairScore:
        return self.score_levels(self.levels(fa, fb))

    def hard_conflict(self, levels: Sequence[int]) -> bool:
        """True when a hard identifier disagrees outright (the mixed-file guard)."""
        for comp, index in zip(self.comparisons, levels):
            if comp.hard and comp.levels[index].label in ("else", "conflict"):
                return True
        return False

    def corroborated(self, levels: Sequence[int]) -> bool:
        """True when something beyond name and partial SSN agrees."""
        return any(comp.levels[index].agree for comp, index in zip(self.comparisons, levels))

    # -- bulk scoring ---------------------------------------------------------------------------
    def bayes_factor_table(self) -> list:
        """log2 Bayes factor per comparison per level, as numpy arrays (for bulk scoring)."""
        import numpy as np
        return [np.array(row, dtype=float) for row in self._log_bf]

    def score_gammas(self, gammas, tf_weights=None):
        """(match weight, probability) arrays for a level matrix (pairs x comparisons);
        ``tf_weights`` is an optional extra weight per pair (term-frequency adjustments)."""
        import numpy as np
        weight = np.full(len(gammas), self._prior_weight)
        for c, row in enumerate(self.bayes_factor_table()):
            weight += row[gammas[:, c]]
        if tf_weights is not None:
            weight += tf_weights
        return weight, 1.0 / (1.0 + np.exp2(-np.clip(weight, -200, 200)))

    def level_masks(self):
        """Per comparison: (is hard conflict, corroborates) boolean arrays over its levels."""
        import numpy as np
        out = []
        for comp in self.comparisons:
            conflict = np.array([comp.hard and lvl.label in ("else", "conflict")
                                 for lvl in comp.levels])
            agree = np.array([lvl.agree for lvl in comp.levels])
            out.append((conflict, agree))
        return out

    # -- persistence ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"format": MODEL_FORMAT, "prior": self.prior, "m": self.m, "u": self.u,
                "comparisons": [c.to_dict() for c in self.comparisons],
                "settings": self.settings, "trained_on": self.trained_on}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=1)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "MatchModel":
        return cls(tuple(Comparison.from_dict(c) for c in data["comparisons"]),
                   data["m"], data["u"], data["prior"], data.get("settings", {}),
                   data.get("trained_on", {}))


def default_model() -> MatchModel:
    data, _text, _path = load_toml("matching.toml")
    settings = {k: v for k, v in data.items() if k not in ("m", "u", "prior")}
    return MatchModel(PEOPLE_COMPARISONS, data["m"], data["u"], float(data["prior"]), settings)
