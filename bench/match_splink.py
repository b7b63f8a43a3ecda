"""Splink (DuckDB) on the synthetic people CSV: the peer run for bench/match_people.py.

A standard Splink 5 setup, not tuned on the truth: names from the parts or from
``full_name`` ("LAST, FIRST M"), comparisons on first name and surname (with term
frequencies), date of birth, SSN last 4, street, ZIP, phone and email; blocking on
surname + birth year, phone, ZIP + first name, street + ZIP and SSN last 4 + first name;
λ from a deterministic rule, u by random sampling, m by EM.  Clusters at 0.5 (timed) and
at further thresholds (untimed) so the caller can report Splink's best one.

    .venv/bin/python bench/match_splink.py PEOPLE.csv LABELS.npz 0.5,0.9,0.99,0.999

prints one JSON line: seconds (load, train, predict, cluster at the first threshold),
peak RSS of this process, blocked pairs; LABELS.npz holds one label array per
threshold, in the CSV's row order.
"""

from __future__ import annotations

import json
import logging
import resource
import sys
import time

import numpy as np

PREPARE = """
SELECT row_number() OVER () - 1 AS row_index, record_id AS unique_id,
       nullif(coalesce(nullif(first_name, ''),
                       split_part(trim(split_part(full_name, ',', 2)), ' ', 1)), '') AS first_name,
       nullif(coalesce(nullif(last_name, ''), trim(split_part(full_name, ',', 1))), '') AS surname,
       nullif(dob, '') AS dob, nullif(ssn_last4, '') AS ssn_last4,
       nullif(street, '') AS street, nullif(substr(zip, 1, 5), '') AS zip,
       nullif(regexp_replace(phone, '[^0-9]', '', 'g'), '') AS phone,
       nullif(lower(email), '') AS email
FROM read_csv('{path}', all_varchar = true, header = true)
"""


def run(path: str, thresholds: list[float]) -> tuple[dict, dict[str, np.ndarray]]:
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.WARNING)
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"CREATE TABLE people AS {PREPARE.format(path=path)}").fetchall()
    db_api = DuckDBAPI(connection=con)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("ssn_last4"),
            cl.LevenshteinAtThresholds("street", [2, 5]),
            cl.ExactMatch("zip"),
            cl.ExactMatch("phone"),
            cl.ExactMatch("email"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("surname", "substr(dob, 1, 4)"),
            block_on("phone"),
            block_on("zip", "first_name"),
            block_on("street", "zip"),
            block_on("ssn_last4", "first_name"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(db_api.register("people"), settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("surname", "substr(dob, 1, 4)"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("zip", "street"))
    predictions = linker.inference.predict(threshold_match_probability=min(thresholds) / 2)
    pairs = con.execute(f"SELECT count(*) FROM {predictions.physical_name}").fetchall()[0][0]
    labels: dict[str, np.ndarray] = {}
    seconds = None
    for threshold in thresholds:
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=threshold)
        frame = con.execute(
            f"SELECT p.row_index, c.cluster_id FROM people p JOIN {clusters.physical_name} c "
            f"ON p.unique_id = c.unique_id ORDER BY p.row_index").fetchnumpy()
        labels[str(threshold)] = np.unique(frame["cluster_id"], return_inverse=True)[1]
        if seconds is None:
            seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    return {"seconds": round(seconds, 1), "peak_rss_gb": round(rss, 2),
            "predicted_pairs": int(pairs)}, labels


def main(argv=None) -> int:
    path, out, thresholds = (argv or sys.argv[1:])[:3]
    summary, labels = run(path, [float(t) for t in thresholds.split(",")])
    np.savez(out, **labels)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
