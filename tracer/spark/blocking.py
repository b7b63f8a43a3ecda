"""Blocking rules compiled to Spark SQL: the candidate pairs of :mod:`tracer.matching.blocking`
produced by joins, every rule's semantics kept (see that module's doc).

A rule's key is its columns' integer codes (the table's, so equal codes are equal
values); a block over ``split_block`` records is split by the rule's ``split_by`` columns
in turn (a missing value a value of its own), and one still over ``max_block`` is never
joined: it is reported and its records go to :func:`.blocking.duplicate_pairs`, as in
process.  So no block larger than ``max_block`` ever reaches one task.  The SQL is
written here directly (one window and one join per rule): the rules are data of a
fixed, simple shape, which needs no SQL translator.

Every pair carries a bit mask of the rules that produced it: EM counts a rule's pairs
from it, the report its new pairs (the lowest bit).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..matching.blocking import (DEFAULT_SPLIT_BLOCK, DUPLICATES_RULE, BlockingReport,
                                 BlockingRule, RuleReport, duplicate_pairs)
from ..matching.table import RecordTable

#: Rules a pair's bit mask can name (a long): the people rules are 14, each identifier
#: column adds 5.
MAX_RULES = 62


def _names(table: RecordTable, rules: Sequence[BlockingRule]) -> dict[str, str]:
    """Table column -> SQL column name (``c0``, ``c1``...: table names hold dots)."""
    wanted: list[str] = []
    for rule in rules:
        for column in (*rule.columns, *rule.split_by):
            if column in table.columns and column not in wanted:
                wanted.append(column)
    return {column: f"c{k}" for k, column in enumerate(wanted)}


def records_frame(spark, table: RecordTable, names: dict[str, str]):
    """The records as a DataFrame: ``row`` (canonical index), ``file`` and the codes."""
    import pandas as pd

    data = {"row": np.arange(len(table), dtype=np.int64),
            "file": np.asarray(table.file, dtype=np.int32)}
    for column, name in names.items():
        data[name] = table.codes(column).astype(np.int64)
    return spark.createDataFrame(pd.DataFrame(data))


def _rule_select(rule: BlockingRule, index: int, names: dict[str, str], splits: int,
                 split: bool) -> str:
    """One rule's records as ``rule, row, file, key, s1..``: the key is the rule's
    codes (the rule number first), ``s<k>`` the k-th column that splits its blocks."""
    keys = [names[c] for c in rule.columns]
    present = " AND ".join(f"{k} >= 0" for k in keys)
    by = [names[c] for c in rule.split_by if c not in rule.columns and c in names] \
        if split else []
    columns = [by[k] if k < len(by) else "CAST(NULL AS BIGINT)" for k in range(splits)]
    extra = "".join(f", {c} AS s{k + 1}" for k, c in enumerate(columns))
    return (f"SELECT {index} AS rule, row, file, array({index}, {', '.join(keys)}) AS key"
            f"{extra} FROM records WHERE {present}")


def blocks_sql(rules: Sequence[BlockingRule], names: dict[str, str], *, max_block: int,
               split_block: int) -> str:
    """Every rule's records with their final block key and its size, in one query over
    the view ``records``: a block over ``split_block`` is split by ``s1``, then what is
    still over by ``s2`` (a missing value a value of its own: code + 2; 0 not split)."""
    split = bool(split_block and split_block < max_block)
    splits = max((len([c for c in r.split_by if c not in r.columns and c in names])
                  for r in rules), default=0) if split else 0
    union = "\nUNION ALL\n".join(_rule_select(r, k, names, splits, split)
                                  for k, r in enumerate(rules))
    steps = [f"keyed0 AS ({union})"]
    last = "keyed0"
    for k in range(1, splits + 1):
        steps.append(f"sized{k} AS (SELECT *, count(*) OVER (PARTITION BY key) AS size"
                     f" FROM {last})")
        first = ", key AS key0, size AS size0" if k == 1 else ""
        steps.append(f"keyed{k} AS (SELECT * EXCEPT (key, size), IF(s{k} IS NULL, key,"
                     f" concat(key, array(IF(size > {split_block}, s{k} + 2, 0)))) AS key"
                     f"{first} FROM sized{k})")
        last = f"keyed{k}"
    first = "IF(s1 IS NULL, NULL, key0) AS key0, size0" if splits \
        else "CAST(NULL AS ARRAY<BIGINT>) AS key0, CAST(0 AS BIGINT) AS size0"
    return ("WITH " + ",\n".join(steps)
            + f"\nSELECT rule, row, file, key, {first},"
              f" count(*) OVER (PARTITION BY key) AS size FROM {last}")


def candidate_pairs(spark, table: RecordTable, rules: Sequence[BlockingRule], *,
                    max_block: int, link: bool = False,
                    split_block: int = DEFAULT_SPLIT_BLOCK):
    """(pairs DataFrame ``l, r, mask`` distinct by pair, report): the union of every
    rule, with the exact duplicates of the oversized blocks as a last "rule"."""
    from pyspark.sql import functions as F

    if len(rules) + 1 > MAX_RULES:
        raise ValueError(f"at most {MAX_RULES - 1} blocking rules on Spark, not {len(rules)}")
    names = _names(table, rules)
    records_frame(spark, table, names).createOrReplaceTempView("records")
    report = BlockingReport()
    reports = [RuleReport(rule.label) for rule in rules]
    skipped: list[np.ndarray] = []
    pairs = None
    if rules:
        blocked = spark.sql(blocks_sql(rules, names, max_block=max_block,
                                       split_block=split_block)).persist()
        per_block = blocked.groupBy("rule", "key").agg(
            F.max("size").alias("size"),
            F.collect_list(F.when(F.col("size") > max_block, F.col("row"))).alias("rows"))
        summary = per_block.groupBy("rule").agg(
            F.sum(F.when((F.col("size") >= 2) & (F.col("size") <= max_block), 1)
                  .otherwise(0)).alias("blocks"),
            F.sum(F.when(F.col("size") > max_block, 1).otherwise(0)).alias("skipped_blocks"),
            F.sum(F.when(F.col("size") > max_block, F.col("size")).otherwise(0))
            .alias("skipped_records"),
            F.flatten(F.collect_list(F.when(F.col("size") > max_block, F.col("rows"))))
            .alias("skipped")).collect()
        split = blocked.where(F.col("key0").isNotNull() & (F.col("size0") > split_block)) \
            .groupBy("rule").agg(F.countDistinct("key0").alias("split")).collect()
        for row in summary:
            rr = reports[row["rule"]]
            rr.blocks, rr.skipped_blocks = int(row["blocks"]), int(row["skipped_blocks"])
            rr.skipped_records = int(row["skipped_records"])
            if row["skipped"]:
                skipped.append(np.array(row["skipped"], dtype=np.int64))
        for row in split:
            reports[row["rule"]].split_blocks = int(row["split"])
        kept = blocked.where(F.col("size").between(2, max_block)).select(
            "row", "file", "key", F.expr("shiftleft(CAST(1 AS BIGINT), rule)").alias("bit"))
        a, b = kept.alias("a"), kept.alias("b")
        on = (F.col("a.key") == F.col("b.key")) & (F.col("a.row") < F.col("b.row"))
        if link:
            on = on & (F.col("a.file") != F.col("b.file"))
        pairs = a.join(b, on).select(F.col("a.row").alias("l"), F.col("b.row").alias("r"),
                                     F.col("a.bit").alias("mask"))
    dup_bit = 1 << len(rules)
    if skipped:
        members = np.unique(np.concatenate(skipped))
        report.oversized_records = len(members)
        codes = duplicate_pairs(table, members, link=link)
        n = max(len(table), 1)
        import pandas as pd
        dup = spark.createDataFrame(pd.DataFrame({"l": codes // n, "r": codes % n,
                                                  "mask": np.full(len(codes), dup_bit,
                                                                  dtype=np.int64)}),
                                    schema="l long, r long, mask long")
        pairs = dup if pairs is None else pairs.unionAll(dup)
        reports.append(RuleReport(DUPLICATES_RULE))
    if pairs is None:
        pairs = spark.createDataFrame([], schema="l long, r long, mask long")
    pairs = pairs.groupBy("l", "r").agg(F.bit_or("mask").alias("mask"))
    counts = pairs.select(
        *[F.sum(F.when((F.col("mask").bitwiseAND(1 << r)) != 0, 1).otherwise(0)).alias(f"p{r}")
          for r in range(len(reports))],
        *[F.sum(F.when((F.col("mask").bitwiseAND(-F.col("mask"))) == (1 << r), 1)
                .otherwise(0)).alias(f"n{r}") for r in range(len(reports))],
        F.count(F.lit(1)).alias("total")).collect()[0]
    for r, rr in enumerate(reports):
        rr.pairs, rr.new_pairs = int(counts[f"p{r}"] or 0), int(counts[f"n{r}"] or 0)
    report.rules = reports
    report.total = int(counts["total"] or 0)
    return pairs, report
