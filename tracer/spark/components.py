"""Guarded clustering per connected component, on the executors.

:func:`.clustering.cluster_pairs` never merges across a connected component of the edges
it keeps (those from the link threshold up): its clusters inside one component depend on
that component's records and edges alone, and a record index map that keeps their order
keeps its labels (each cluster's smallest member).  One rule looks past a component:
evidence edges mark seams when the guard refused a merge anywhere in the file, so each
component is told the file's answer (``evidence_seams``).  So :class:`SparkClusterer` finds the
components in Spark (iterative min-label propagation over integer record ids), runs
``cluster_pairs`` once per component (``applyInPandas``) and maps the labels back.

A component over ``max_component`` records is never handed whole to one task: it is
reported and split, its weakest edges left out (the cut rising from the link threshold
towards 1) until every part fits.  The split can cost joins inside that component only.
"""

from __future__ import annotations

import numpy as np

from ..matching.clustering import cluster_pairs

#: Records of the largest component one task clusters.
MAX_COMPONENT = 100_000
#: Rounds of min-label propagation before giving up on convergence (a chain this long
#: is no person).
MAX_ROUNDS = 200


def connected_components(edges):
    """``node, label`` (the smallest record id of its component) for every node of the
    ``a, b`` edges DataFrame: labels spread a hop a round until none changes."""
    from pyspark.sql import functions as F

    both = edges.select("a", "b").unionAll(edges.select(F.col("b").alias("a"),
                                                        F.col("a").alias("b")))
    both = both.localCheckpoint()
    labels = both.groupBy("a").agg(F.least(F.min("b"), F.first("a")).alias("label")) \
        .withColumnRenamed("a", "node").localCheckpoint()
    for _ in range(MAX_ROUNDS):
        hop = both.join(labels.withColumnRenamed("node", "b"), "b") \
            .groupBy("a").agg(F.min("label").alias("reach")).withColumnRenamed("a", "node")
        new = labels.join(hop, "node").select(
            "node", F.least("label", "reach").alias("label"), (F.col("reach") < F.col("label"))
            .alias("moved")).localCheckpoint()
        if not new.where("moved").limit(1).count():
            return new.select("node", "label")
        labels = new.select("node", "label")
    raise RuntimeError(f"connected components did not settle in {MAX_ROUNDS} rounds")


class SparkClusterer:
    """A drop-in for :func:`.clustering.cluster_pairs` (the ``cluster`` argument of
    :func:`.namesakes.cluster_with_namesakes`) that clusters per component on Spark."""

    def __init__(self, spark, *, max_component: int = MAX_COMPONENT):
        self.spark = spark
        self.max_component = max_component
        #: components split because they were too big for one task, and their records
        self.split_components = 0
        self.split_records = 0
        self.largest_component = 0

    def __call__(self, n, left, right, probability, *, dob, ssn_last4, suffix,
                 tolerance=None, allowed=None, dob_year=None, identifier=None,
                 isolated=None, link_threshold=0.9, bridge_strength=0.99, report=None,
                 codes=None, **rest):
        import pandas as pd
        from pyspark.sql import functions as F

        if rest:
            raise TypeError(f"unexpected arguments {sorted(rest)}")
        left = np.asarray(left, dtype=np.int64)
        right = np.asarray(right, dtype=np.int64)
        probability = np.asarray(probability, dtype=float)
        keep = (probability >= link_threshold) & (left != right)   # what cluster_pairs keeps
        tol = np.zeros(len(left), np.int8) if tolerance is None else np.asarray(tolerance, np.int8)
        ok = np.ones(len(left), bool) if allowed is None else np.asarray(allowed, bool)
        roots = np.arange(n, dtype=np.int64)
        ambiguous = 0
        if keep.any():
            edges = self.spark.createDataFrame(pd.DataFrame({
                "a": left[keep], "b": right[keep], "p": probability[keep],
                "tol": tol[keep], "allowed": ok[keep]})).localCheckpoint()
            labels = self._bounded_components(edges)
            per_record = self.spark.sparkContext.broadcast({
                "dob": np.asarray(dob, dtype=object), "ssn_last4": np.asarray(ssn_last4, dtype=object),
                "suffix": np.asarray(suffix, dtype=object),
                "dob_year": None if dob_year is None else np.asarray(dob_year),
                "identifier": None if identifier is None else np.asarray(identifier, dtype=object),
                "isolated": None if isolated is None else np.asarray(isolated, dtype=bool),
                "codes": None if codes is None else {k: np.asarray(v) for k, v in codes.items()}})
            ends = labels.withColumnRenamed("node", "b").withColumnRenamed("label", "rb")
            grouped = edges.join(labels.withColumnRenamed("node", "a"), "a").join(ends, "b") \
                .where(F.col("label") == F.col("rb")).select("label", "a", "b", "p", "tol",
                                                              "allowed")
            grouped = grouped.localCheckpoint()
            # Evidence edges mark seams when the guard refused a merge anywhere in the
            # file (cluster_pairs' rule): assume it did, and cluster again if no
            # component refused one.
            out = self._cluster(grouped, per_record, link_threshold, bridge_strength, True)
            if not out.column("refused").to_numpy().any():
                out = self._cluster(grouped, per_record, link_threshold, bridge_strength,
                                    None)
            nodes = out.column("node").to_numpy()
            roots[nodes] = out.column("root").to_numpy()
            ambiguous = int(out.column("ambiguous").to_numpy().sum())
            per_record.unpersist()
        if report is not None:
            report["ambiguous"] = ambiguous
            report["isolated"] = 0 if isolated is None else int(np.asarray(isolated).sum())
        return roots

    @staticmethod
    def _cluster(grouped, per_record, link_threshold, bridge_strength, evidence_seams):
        run = _per_component(per_record, link_threshold, bridge_strength, evidence_seams)
        return grouped.groupBy("label").applyInPandas(
            run, "node long, root long, ambiguous long, refused boolean").toArrow()

    def _bounded_components(self, edges):
        """Components of ``edges``, the oversized ones split by a rising cut."""
        from pyspark.sql import functions as F

        labels = connected_components(edges).localCheckpoint()
        sizes = labels.groupBy("label").count()
        largest = sizes.agg(F.max("count")).collect()[0][0] or 0
        self.largest_component = max(self.largest_component, int(largest))
        if largest <= self.max_component:
            return labels
        big = sizes.where(F.col("count") > self.max_component)
        stats = big.agg(F.count("*"), F.sum("count")).collect()[0]
        self.split_components += int(stats[0])
        self.split_records += int(stats[1])
        inside = labels.join(big.select("label"), "label").select("node")
        sub = edges.join(inside.withColumnRenamed("node", "a"), "a")
        cut = float(edges.agg(F.min("p")).collect()[0][0])
        while True:
            cut = 1 - (1 - cut) / 10 if cut < 1 else 2.0
            sub = sub.where(F.col("p") >= cut).localCheckpoint()
            if not sub.limit(1).count():
                parts = None
                break
            parts = connected_components(sub).localCheckpoint()
            if (parts.groupBy("label").count().agg(F.max("count")).collect()[0][0]
                    <= self.max_component):
                break
        rest = labels.join(inside, "node", "left_anti")
        if parts is None:
            return rest       # their records stay alone
        return rest.unionByName(parts)


def _per_component(per_record, link_threshold: float, bridge_strength: float,
                   evidence_seams: bool | None):
    def run(frame):
        import pandas as pd

        data = per_record.value
        a = frame["a"].to_numpy(np.int64)
        b = frame["b"].to_numpy(np.int64)
        nodes = np.unique(np.concatenate([a, b]))
        local_a, local_b = np.searchsorted(nodes, a), np.searchsorted(nodes, b)

        def take(values):
            return None if values is None else values[nodes]

        codes = None if data["codes"] is None else {k: v[nodes] for k, v in data["codes"].items()}
        report: dict = {}
        labels = cluster_pairs(len(nodes), local_a, local_b, frame["p"].to_numpy(float),
                               dob=take(data["dob"]), ssn_last4=take(data["ssn_last4"]),
                               suffix=take(data["suffix"]),
                               tolerance=frame["tol"].to_numpy(np.int8),
                               allowed=frame["allowed"].to_numpy(bool),
                               dob_year=take(data["dob_year"]),
                               identifier=take(data["identifier"]),
                               isolated=take(data["isolated"]),
                               link_threshold=link_threshold, bridge_strength=bridge_strength,
                               report=report, codes=codes, evidence_seams=evidence_seams)
        ambiguous = np.zeros(len(nodes), dtype=np.int64)
        ambiguous[0] = report.get("ambiguous", 0)
        return pd.DataFrame({"node": nodes, "root": nodes[labels], "ambiguous": ambiguous,
                             "refused": np.full(len(nodes), report.get("refused", False))})

    return run
