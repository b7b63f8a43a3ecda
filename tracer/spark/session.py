"""A SparkSession for ``tracer resolve --engine spark``, and the check that one can start."""

from __future__ import annotations

import os
import shutil
import sys

from ..errors import InputError

#: Shuffle partitions for local mode: a laptop's cores, not Spark's default 200 (each an
#: empty task on a small file).
LOCAL_SHUFFLE_PARTITIONS = 8


def require_spark() -> None:
    """A clear one-line error when pyspark or Java is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise InputError("--engine spark needs pyspark: pip install 'tracer-skiptrace[spark]'"
                         ) from None
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise InputError("--engine spark needs Java 17 (java on PATH or $JAVA_HOME)")


def spark_session(master: str = "local[*]", *, shuffle_partitions: int | None = None,
                  app_name: str = "tracer resolve"):
    """A session on ``master`` (``local[*]``, ``spark://host:7077``, ``yarn``...).

    The executors run tracer's own Python: they must find this interpreter's packages
    (local mode: the same one; a cluster: tracer installed on the nodes, see
    docs/scale-out.md).  An existing session (spark-submit made it) is reused."""
    require_spark()
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    local = master.startswith("local")
    if master:
        builder = builder.master(master)
    if local:
        builder = (builder.config("spark.ui.enabled", "false")
                   .config("spark.driver.host", "127.0.0.1")
                   .config("spark.driver.bindAddress", "127.0.0.1")
                   .config("spark.sql.shuffle.partitions",
                           str(shuffle_partitions or LOCAL_SHUFFLE_PARTITIONS)))
    elif shuffle_partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    builder = (builder.config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.adaptive.enabled", "true"))
    return builder.getOrCreate()
