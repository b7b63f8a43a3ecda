"""Resolution on Apache Spark: the one engine's steps, run where the pairs are.

``tracer resolve --engine spark`` blocks with Spark SQL joins (:mod:`.blocking`), compares
and scores the pairs per partition with the engine's own vectorized functions
(:mod:`.pairs`), counts level patterns on the executors for EM, and clusters per
connected component (:mod:`.components`).  Nothing here scores or clusters in its own
way: the results are the in-process engine's by construction (tests/test_engine_conformance.py).
pyspark is the optional ``spark`` extra; the core install never imports this package.
"""
