"""``tracer resolve --engine spark``: :func:`tracer.matching.resolve.resolve_table`'s
steps with the pairs on Spark.

normalize (on the driver, as in process: one table in canonical order, broadcast to the
executors) -> block (:mod:`.blocking`, Spark SQL joins) -> compare per partition
(:mod:`.pairs`) -> train on level-pattern counts aggregated on the executors
(:func:`.training.train_on_patterns`) -> score per partition -> cluster with the namesake
rules (:func:`.namesakes.cluster_with_namesakes`, its per-record decisions on the
driver over the evidence pairs, ``cluster_pairs`` per connected component on Spark,
:mod:`.components`).  The driver holds the records and the scored pairs (the output
files list them), never a block or a component's work.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import InputError
from ..matching.blocking import DEFAULT_SPLIT_BLOCK
from ..matching.model import MatchModel
from ..matching.namesakes import cluster_with_namesakes
from ..matching.resolve import (Progress, Resolution, ResolveConfig, StepClock, comparisons_for,
                                resolve_rows, rules_in_use, training_inputs)
from ..matching.table import RecordTable
from ..matching.training import train_on_patterns
from . import blocking, pairs as pair_steps
from .components import MAX_COMPONENT, SparkClusterer


def resolve_table_spark(table: RecordTable, config: ResolveConfig, *, spark,
                        model: MatchModel | None = None, progress: Progress | None = None,
                        frequencies: Mapping[str, Any] | None = None,
                        max_component: int = MAX_COMPONENT) -> Resolution:
    """:func:`.resolve.resolve_table` on Spark: the same Resolution, value for value."""
    if frequencies is not None:
        raise InputError("the Spark engine resolves a whole file: it takes the file's own "
                         "term frequencies")
    if config.evidence_margin is not None:
        raise InputError("the Spark engine does not apply the evidence margin yet")
    step = StepClock(progress)
    timings = step.timings

    order = table.canonical_order()
    table = table.take(order)
    extra = dict(table.extra_kinds)
    rules = rules_in_use(table, model)
    comparisons = tuple(model.comparisons) if model is not None \
        else tuple(comparisons_for(table, extra, config.extra_groups))
    table_bc = spark.sparkContext.broadcast(table)
    try:
        candidates, report = blocking.candidate_pairs(
            spark, table, rules, max_block=config.max_block, link=config.link,
            split_block=DEFAULT_SPLIT_BLOCK)
        step("block")
        compared = pair_steps.compared(candidates, table_bc, comparisons, extra,
                                       drop_households=config.drop_households).persist()
        kept = compared.count()
        if config.drop_households and kept != report.total:
            report.household_pairs = report.total - kept
            report.total = kept
        step("compare")
        if model is None:
            patterns, counts, per_rule = pair_steps.pattern_counts(
                compared, len(comparisons), len(rules))
            m_defaults, settings = training_inputs(config, extra, comparisons)
            model = train_on_patterns(
                table, comparisons, rules, [int(c.sum()) for c in per_rule], patterns,
                counts, per_rule, kept, link=config.link, m_defaults=m_defaults,
                settings=settings)
            step("train")
        frame, tf_columns = pair_steps.scored(compared, table_bc, model, len(comparisons))
        got = pair_steps.collected(frame, len(table), len(comparisons), tf_columns)
        spark.catalog.clearCache()      # the blocks and the compared pairs
        step("score")
        cluster_report: dict[str, int] = {}
        clusterer = SparkClusterer(spark, max_component=max_component)
        ev = got["evidence"]
        # cluster_with_namesakes reads the evidence pairs only: the rest stay out
        labels = cluster_with_namesakes(
            table, got["left"][ev], got["right"][ev], got["probability"][ev],
            got["allowed"][ev], ev[ev], got["tolerance"][ev], threshold=config.threshold,
            bridge_strength=config.bridge_strength, report=cluster_report, cluster=clusterer)
        step("cluster")
    finally:
        table_bc.unpersist()
    result = Resolution(table, order, got["left"], got["right"], got["gammas"], got["tf"],
                        got["weight"], got["probability"], labels, model, report, timings,
                        config.link, ambiguous=cluster_report.get("ambiguous", 0),
                        isolated=cluster_report.get("isolated", 0))
    result.split_components = clusterer.split_components
    result.split_component_records = clusterer.split_records
    result.largest_component = clusterer.largest_component
    return result


def resolve_rows_spark(rows: Sequence[Mapping[str, Any]], config: ResolveConfig | None = None,
                       *, spark, other: Sequence[Mapping[str, Any]] | None = None,
                       model: MatchModel | None = None, progress: Progress | None = None,
                       max_component: int = MAX_COMPONENT) -> Resolution:
    """:func:`.resolve.resolve_rows` with the Spark engine."""
    def engine(table, config, *, model=None, progress=None):
        return resolve_table_spark(table, config, spark=spark, model=model,
                                   progress=progress, max_component=max_component)

    return resolve_rows(rows, config, other=other, model=model, progress=progress,
                        engine=engine)
