"""The record store at scale: features stored at import equal a fresh normalization, a
parallel import equals a serial one row for row, every trace block query uses an index."""

from __future__ import annotations

import csv

import pytest

from tracer import imports
from tracer.imports import RowError, clean_record, import_records
from tracer.matching import features as features_module
from tracer.store.sqlite.records import TRACE_BLOCKS
from tracer.sources.record_store import RecordStore
from tracer_dev.synthetic import RECORD_COLUMNS, iter_people_records, write_csv
from tracer.workspace import init_workspace


def test_stored_features_and_keys_equal_a_fresh_normalization(tmp_path, monkeypatch):
    """A trace reads each record's features as the import stored them; they must be
    exactly what normalizing the stored row again gives (and the k_* keys with them)."""
    rows = [row for row, _pid in iter_people_records(1500, seed=5)]
    path = tmp_path / "extract.csv"
    write_csv(path, rows, RECORD_COLUMNS)
    ws, _ = init_workspace(tmp_path / "w.db")
    import_records(ws, path, source="county")
    store = RecordStore(ws)
    ids = [r[0] for r in ws.conn.execute("SELECT id FROM records ORDER BY id")]
    monkeypatch.setattr(features_module, "_PREPARED", {})
    read = store.rows(ids)
    prepared = dict(features_module._PREPARED)
    assert len(prepared) == len(read) > 1400
    features_module._PREPARED.clear()          # normalize afresh from here on
    for row in read:
        stored = prepared[(f"county:{row['record_id']}", row["raw_hash"])]
        fresh = features_module.features_of(
            {k: (str(v) if v not in (None, "") else None) for k, v in row.items()})
        assert stored == fresh, row["record_id"]
    keys = ws.conn.execute("SELECT record_id, k_last, k_first, k_dob_year, k_phone, k_email,"
                           " k_zip, k_addr FROM records").fetchall()
    for record_id, *k in keys[:300]:
        row = next(r for r in read if r["record_id"] == record_id)
        f = features_module.features_of(row)
        assert tuple(k) == (f.last_key, f.first_root or f.first, f.dob_year, f.phone,
                            f.email, f.zip5, f.addr_key)
    ws.close()


def _extract(path, n=1200):
    rows = [row for row, _pid in iter_people_records(n, seed=8)]
    rows[10]["dob"] = "13/45/1970"                       # rejected
    rows[700]["record_id"] = rows[20]["record_id"]       # duplicate across chunks
    rows[21]["record_id"] = rows[20]["record_id"]        # duplicate within a chunk
    rows[900]["phone_type"] = "pager"                    # kept, the value reported
    write_csv(path, rows, RECORD_COLUMNS)
    return path


def _table(ws):
    """The stored records, DOBs opened (each workspace seals under its own key)."""
    return [(*row[:4], ws.dob_seal.open(row[4]), *row[5:]) for row in ws.conn.execute(
        "SELECT source, record_id, first_name, last_name, dob, street, zip, phone, raw_hash,"
        " k_last, k_first, k_dob_year, k_phone, k_email, k_zip, k_addr FROM records"
        " ORDER BY id")]


def test_parallel_import_equals_serial(tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK", 97)   # many chunks, duplicates across them
    path = _extract(tmp_path / "extract.csv")
    results, tables, rejects = [], [], []
    for workers in (1, 2):
        ws, _ = init_workspace(tmp_path / f"w{workers}.db")
        result = import_records(ws, path, source="county", workers=workers)
        results.append({k: v for k, v in result.to_dict().items()})
        tables.append(_table(ws))
        rejects.append(result.rejects_path.read_text())
        ws.close()
    assert results[0] == results[1]
    assert results[0]["rejected"] == 3 and results[0]["imported"] == 1197
    assert results[0]["problems"] == 1
    assert tables[0] == tables[1]
    assert rejects[0] == rejects[1]
    report = list(csv.DictReader(rejects[0].splitlines()))
    assert [r["line"] for r in report] == ["12", "23", "702"]
    assert "duplicate record_id (first at line 22)" in report[2]["reason"]


def test_reimport_adds_nothing_and_counts_unchanged(tmp_path):
    path = _extract(tmp_path / "extract.csv", n=1000)
    ws, _ = init_workspace(tmp_path / "w.db")
    first = import_records(ws, path, source="county", workers=1)
    again = import_records(ws, path, source="county", workers=2)
    assert again.imported == 0 and again.unchanged == first.imported
    ws.close()


@pytest.mark.parametrize("label, condition, _params", TRACE_BLOCKS)
def test_every_trace_block_query_uses_an_index(tmp_path, label, condition, _params):
    ws, _ = init_workspace(tmp_path / "w.db")
    n_params = condition.count("?")
    plan = " ".join(r[-1] for r in ws.conn.execute(
        f"EXPLAIN QUERY PLAN SELECT id FROM records WHERE {condition} ORDER BY id LIMIT 400",
        ["x"] * n_params))
    assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, (label, plan)
    ws.close()


def _reference_candidates(ws, query, cap):
    """The store's contract, written plainly: blocks smallest first (by size capped at
    cap + 1), each read in id order up to what the cap leaves, results in id order."""
    from tracer.matching.features import features_of
    from tracer.store.sqlite.records import _RECORD_COLUMNS
    conn = ws.conn
    f = features_of(query, key="query", source="query")
    blocks = []
    for _label, condition, params_of in TRACE_BLOCKS:
        params = params_of(f)
        if params is not None:
            count = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM records WHERE {condition}"
                                 " LIMIT ?)", (*params, cap + 1)).fetchone()[0]
            blocks.append((count, condition, params))
    seen = {}
    for _count, condition, params in sorted(blocks, key=lambda b: b[0]):
        if len(seen) >= cap:
            break
        for row in conn.execute(f"SELECT id, {', '.join(_RECORD_COLUMNS)} FROM records WHERE"
                                f" {condition} ORDER BY id LIMIT ?", (*params, cap - len(seen))):
            seen.setdefault(row[0], ws.dob_seal.open_row(dict(zip(_RECORD_COLUMNS, row[1:]))))
    return [seen[k] for k in sorted(seen)]


@pytest.mark.parametrize("cap", [5, 40, 400])
def test_candidates_match_the_reference(tmp_path, cap):
    from tracer.sources.record_store import RecordStore
    from tracer_dev.synthetic import generate_world
    world = generate_world(400, seed=3, account_rate=0.5)
    write_csv(tmp_path / "r.csv", world.record_rows(), RECORD_COLUMNS)
    ws, _ = init_workspace(tmp_path / "w.db")
    import_records(ws, tmp_path / "r.csv", source="county", workers=1)
    store = RecordStore(ws)
    for account in list(world.account_rows(60)):
        query = {k: v for k, v in account.items() if v}
        assert store.candidates(query, cap=cap, second_hop=False) == \
            _reference_candidates(ws, query, cap)
    ws.close()


def test_features_stored_by_an_older_normalizer_are_normalized_again(monkeypatch):
    row = {"source": "county", "record_id": "R1", "raw_hash": "h", "first_name": "Ann",
           "last_name": "Lee", "street": "12 Oak Ave", "zip": "80203"}
    fresh = features_module.features_of(row)
    packed = features_module.pack_features(fresh)
    monkeypatch.setattr(features_module, "_PREPARED", {})
    features_module.remember_features("county:R1", "h", packed, "county")
    assert features_module._PREPARED[("county:R1", "h")] == fresh
    monkeypatch.setattr(features_module, "_PREPARED", {})
    monkeypatch.setattr(features_module, "FEATURES_VERSION", features_module.FEATURES_VERSION + 1)
    features_module.remember_features("county:R1", "h", packed, "county")
    assert features_module._PREPARED == {}
    assert features_module.features_of(row) == fresh
