"""The workspace schema, as numbered migrations (sqlite-utils' ``migrations.py`` idea).

Never edit a released migration: add one.  ``PRAGMA user_version`` holds the number of
the newest migration applied; :func:`migrate` applies the newer ones, each in its own
``BEGIN IMMEDIATE`` transaction.  Migration 8 calls ``tracer_redacted_sha256`` and the
audit triggers ``tracer_sha256``: SQL functions that :func:`.connection.connect`
registers on every tracer connection.
"""

from __future__ import annotations

import sqlite3

from .credentials import MIGRATION as _CREDENTIALS_MIGRATION

# Each migration is (version, statements).  Never edit a released migration: add one.
MIGRATIONS: list[tuple[int, list[str]]] = [
    (1, [
        """CREATE TABLE users (
            id TEXT PRIMARY KEY, role TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL)""",
        """CREATE TABLE accounts (
            account_id TEXT PRIMARY KEY, first_name TEXT, middle_name TEXT, last_name TEXT,
            suffix TEXT, dob TEXT, ssn_last4 TEXT, ssn_hash TEXT, street TEXT, unit TEXT,
            city TEXT, state TEXT, zip TEXT, phone TEXT, email TEXT, employer TEXT,
            balance REAL, status TEXT NOT NULL DEFAULT 'open', flags TEXT NOT NULL DEFAULT '',
            assigned_to TEXT, debt_origin TEXT NOT NULL DEFAULT 'unknown', last_activity TEXT,
            row_hash TEXT NOT NULL, imported_at TEXT NOT NULL, updated_at TEXT NOT NULL)""",
        """CREATE TABLE account_history (
            id INTEGER PRIMARY KEY, account_id TEXT NOT NULL, replaced_at TEXT NOT NULL,
            street TEXT, unit TEXT, city TEXT, state TEXT, zip TEXT, phone TEXT, email TEXT,
            employer TEXT, seen_until TEXT)""",
        "CREATE INDEX idx_account_history ON account_history(account_id)",
        """CREATE TABLE records (
            id INTEGER PRIMARY KEY, source TEXT NOT NULL, record_id TEXT NOT NULL,
            first_name TEXT, middle_name TEXT, last_name TEXT, suffix TEXT, full_name TEXT,
            dob TEXT, ssn_last4 TEXT, street TEXT, unit TEXT, city TEXT, state TEXT, zip TEXT,
            phone TEXT, phone_type TEXT, email TEXT, employer TEXT, first_seen TEXT,
            last_seen TEXT, event TEXT, event_date TEXT, raw_hash TEXT NOT NULL,
            imported_at TEXT NOT NULL,
            k_last TEXT, k_first TEXT, k_dob_year INTEGER, k_phone TEXT, k_email TEXT,
            k_zip TEXT, k_addr TEXT,
            UNIQUE (source, record_id, raw_hash))""",
        "CREATE INDEX idx_records_last ON records(k_last, k_dob_year)",
        "CREATE INDEX idx_records_ssn4 ON records(ssn_last4)",
        "CREATE INDEX idx_records_phone ON records(k_phone)",
        "CREATE INDEX idx_records_email ON records(k_email)",
        "CREATE INDEX idx_records_zip ON records(k_zip, k_first)",
        "CREATE INDEX idx_records_addr ON records(k_addr)",
        """CREATE TABLE lookups (
            lookup_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, user_id TEXT NOT NULL,
            purpose TEXT NOT NULL, reason TEXT NOT NULL, as_of TEXT NOT NULL,
            requested_at TEXT NOT NULL, outcome TEXT NOT NULL, status TEXT NOT NULL,
            batch_id TEXT, completed_at TEXT)""",
        "CREATE INDEX idx_lookups_account ON lookups(account_id, requested_at)",
        """CREATE TABLE contact_results (
            lookup_id TEXT NOT NULL, account_id TEXT NOT NULL, kind TEXT NOT NULL,
            rank INTEGER NOT NULL, value TEXT NOT NULL, confidence REAL NOT NULL,
            identity_confidence REAL NOT NULL, sources TEXT NOT NULL, first_seen TEXT,
            last_seen TEXT, explanation TEXT NOT NULL, detail TEXT NOT NULL,
            PRIMARY KEY (lookup_id, kind, rank))""",
        """CREATE TABLE match_models (
            version INTEGER PRIMARY KEY, created_at TEXT NOT NULL, model TEXT NOT NULL)""",
        """CREATE TABLE judgements (
            id INTEGER PRIMARY KEY, lookup_id TEXT NOT NULL, account_id TEXT NOT NULL,
            kind TEXT NOT NULL, value TEXT NOT NULL, verdict TEXT NOT NULL,
            user_id TEXT NOT NULL, ts TEXT NOT NULL, note TEXT)""",
        "CREATE INDEX idx_judgements_account ON judgements(account_id)",
        """CREATE TABLE attachments (
            id INTEGER PRIMARY KEY, lookup_id TEXT NOT NULL, account_id TEXT NOT NULL,
            kind TEXT NOT NULL, value TEXT NOT NULL, previous TEXT, user_id TEXT NOT NULL,
            ts TEXT NOT NULL, consent TEXT NOT NULL, undone_at TEXT, idempotency_key TEXT UNIQUE)""",
        """CREATE TABLE audit (
            seq INTEGER PRIMARY KEY, ts TEXT NOT NULL, event TEXT NOT NULL,
            actor TEXT, account_id TEXT, lookup_id TEXT, payload TEXT NOT NULL,
            payload_sha256 TEXT NOT NULL, redacted INTEGER NOT NULL DEFAULT 0,
            prev_hash TEXT NOT NULL, hash TEXT NOT NULL)""",
        "CREATE INDEX idx_audit_lookup ON audit(lookup_id)",
        "CREATE INDEX idx_audit_account ON audit(account_id)",
        # Append-only: the only update allowed is a redaction that keeps every hash.
        """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
           BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END""",
        """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
           WHEN NOT (OLD.redacted = 0 AND NEW.redacted = 1 AND NEW.seq = OLD.seq
                     AND NEW.ts = OLD.ts AND NEW.event = OLD.event
                     AND NEW.actor IS OLD.actor AND NEW.account_id IS OLD.account_id
                     AND NEW.lookup_id IS OLD.lookup_id
                     AND NEW.payload_sha256 = OLD.payload_sha256
                     AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash)
           BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END""",
    ]),
    (2, [
        # Scrubs flag an account for review; consent records unlock traced channels.
        "ALTER TABLE accounts ADD COLUMN review_reason TEXT",
        """CREATE TABLE consents (
            id INTEGER PRIMARY KEY, account_id TEXT NOT NULL, channel TEXT NOT NULL,
            value TEXT NOT NULL, status TEXT NOT NULL, recorded_at TEXT NOT NULL,
            user_id TEXT NOT NULL, note TEXT)""",
        "CREATE INDEX idx_consents_account ON consents(account_id, channel, value)",
    ]),
    (3, [
        # Batches (tracer/batch.py): one row per batch, one per account in it.  An item
        # moves pending -> open (decision committed, lookup_id set) -> done (results
        # stored), each step in the same transaction as the lookup's own row.
        """CREATE TABLE batches (
            batch_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, purpose TEXT NOT NULL,
            reason TEXT NOT NULL, as_of TEXT NOT NULL, selection TEXT NOT NULL,
            attach_above REAL, workers INTEGER NOT NULL DEFAULT 1, total INTEGER NOT NULL,
            status TEXT NOT NULL, owner TEXT, created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL, finished_at TEXT, summary TEXT)""",
        """CREATE TABLE batch_items (
            batch_id TEXT NOT NULL, seq INTEGER NOT NULL, account_id TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending', lookup_id TEXT, result TEXT,
            reasons TEXT, source_errors TEXT, contacts INTEGER, attached INTEGER,
            error TEXT, done_at TEXT,
            PRIMARY KEY (batch_id, seq), UNIQUE (batch_id, account_id))""",
        "CREATE INDEX idx_batch_items_status ON batch_items(batch_id, status, seq)",
        # One running batch per account: a second batch over the same accounts refuses.
        """CREATE TABLE account_leases (
            account_id TEXT PRIMARY KEY, batch_id TEXT NOT NULL, acquired_at TEXT NOT NULL)""",
        "CREATE INDEX idx_account_leases_batch ON account_leases(batch_id)",
        # The gate's per-user rate query filters on batch_id IS NULL; without this index
        # it scans every lookup, which makes a 100k-account batch quadratic.
        "CREATE INDEX idx_lookups_user ON lookups(user_id, batch_id, requested_at)",
        "CREATE INDEX idx_lookups_batch ON lookups(batch_id, account_id)",
        # The "surname+first name" trace block: covering, so a common surname is not a
        # scan of every record carrying it.
        "CREATE INDEX idx_records_name ON records(k_last, k_first)",
    ]),
    (4, [
        # The identity graph behind each lookup (tracer/matching/graph.py): records and
        # attributes as nodes; same-person and has-attribute edges.
        """CREATE TABLE graph_nodes (
            lookup_id TEXT NOT NULL, node_id TEXT NOT NULL, kind TEXT NOT NULL,
            label TEXT NOT NULL, identity_id TEXT, detail TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (lookup_id, node_id))""",
        """CREATE TABLE graph_edges (
            lookup_id TEXT NOT NULL, src TEXT NOT NULL, dst TEXT NOT NULL, kind TEXT NOT NULL,
            probability REAL, first_seen TEXT, last_seen TEXT, evidence TEXT,
            PRIMARY KEY (lookup_id, src, dst, kind))""",
    ]),
    (5, [
        # Each imported record's normalized features (tracer.matching.features, packed
        # JSON), so a trace does not normalize its candidates again.  NULL for records
        # imported before: those are normalized when read, as before.
        "ALTER TABLE records ADD COLUMN features TEXT",
    ]),
    (6, [
        # Contact outcomes (FORMATS.md section 4, tracer/outcomes.py): what happened when
        # someone dialed, mailed or emailed a contact point.  ``value_key`` is what the
        # value stands for (E.164, a lower-case email, an address with its unit number
        # but not its designator), so an outcome counts for that value on every account.
        """CREATE TABLE outcomes (
            id INTEGER PRIMARY KEY, account_id TEXT NOT NULL, channel TEXT NOT NULL,
            value TEXT NOT NULL, value_key TEXT NOT NULL, outcome TEXT NOT NULL,
            date TEXT NOT NULL, user_id TEXT, note TEXT, imported_at TEXT NOT NULL,
            UNIQUE (account_id, channel, value_key, outcome, date))""",
        "CREATE INDEX idx_outcomes_value ON outcomes(channel, value_key, date)",
        "CREATE INDEX idx_outcomes_account ON outcomes(account_id, date)",
        # The contact model's versions (tracer/matching/contact_model.py): coefficients
        # fitted to the workspace's outcomes by `tracer model calibrate`, and the last
        # outcome id each fit had seen (a batch refits when newer ones arrived).
        """CREATE TABLE contact_models (
            version INTEGER PRIMARY KEY, created_at TEXT NOT NULL, model TEXT NOT NULL,
            outcomes_seen INTEGER NOT NULL)""",
        # A ranked phone's line type (mobile, landline, voip, unknown): the export says
        # what reaches the person, and TCPA treats mobiles apart.
        "ALTER TABLE contact_results ADD COLUMN phone_type TEXT",
        # What the value stands for (outcomes.contact_value): the export joins the value's
        # latest outcome by it without normalizing addresses again.
        "ALTER TABLE contact_results ADD COLUMN value_key TEXT",
    ]),
    (7, [
        # The settings (policy, purposes, sources) the workspace last ran under, by digest:
        # a command under other settings audits `settings_changed` (consent/fingerprint.py).
        """CREATE TABLE settings_seen (
            name TEXT PRIMARY KEY, path TEXT NOT NULL, sha256 TEXT NOT NULL,
            seen_at TEXT NOT NULL)""",
        # Re-delivered records (same source and record_id, other content) replace the one
        # in `records`; the earlier version moves here, its events still count.
        """CREATE TABLE record_history (
            id INTEGER PRIMARY KEY, record_rowid INTEGER NOT NULL, source TEXT NOT NULL,
            record_id TEXT NOT NULL, first_name TEXT, middle_name TEXT, last_name TEXT,
            suffix TEXT, full_name TEXT, dob TEXT, ssn_last4 TEXT, street TEXT, unit TEXT,
            city TEXT, state TEXT, zip TEXT, phone TEXT, phone_type TEXT, email TEXT,
            employer TEXT, first_seen TEXT, last_seen TEXT, event TEXT, event_date TEXT,
            raw_hash TEXT NOT NULL, imported_at TEXT NOT NULL, replaced_at TEXT NOT NULL)""",
        "CREATE INDEX idx_record_history ON record_history(source, record_id)",
        # Copies stored side by side before this migration: the newest stays current.
        """INSERT INTO record_history (record_rowid, source, record_id, first_name,
            middle_name, last_name, suffix, full_name, dob, ssn_last4, street, unit, city,
            state, zip, phone, phone_type, email, employer, first_seen, last_seen, event,
            event_date, raw_hash, imported_at, replaced_at)
           SELECT r.id, r.source, r.record_id, r.first_name, r.middle_name, r.last_name,
               r.suffix, r.full_name, r.dob, r.ssn_last4, r.street, r.unit, r.city, r.state,
               r.zip, r.phone, r.phone_type, r.email, r.employer, r.first_seen, r.last_seen,
               r.event, r.event_date, r.raw_hash, r.imported_at,
               strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
           FROM records r WHERE EXISTS (SELECT 1 FROM records n WHERE n.source = r.source
                AND n.record_id = r.record_id AND n.id > r.id)""",
        """DELETE FROM records WHERE EXISTS (SELECT 1 FROM records n WHERE
           n.source = records.source AND n.record_id = records.record_id AND n.id > records.id)""",
        "CREATE UNIQUE INDEX idx_records_current ON records(source, record_id)",
        """CREATE TRIGGER records_keep_history BEFORE UPDATE OF raw_hash ON records
           WHEN OLD.raw_hash IS NOT NEW.raw_hash
           BEGIN
             INSERT INTO record_history (record_rowid, source, record_id, first_name,
                 middle_name, last_name, suffix, full_name, dob, ssn_last4, street, unit, city,
                 state, zip, phone, phone_type, email, employer, first_seen, last_seen, event,
                 event_date, raw_hash, imported_at, replaced_at)
             VALUES (OLD.id, OLD.source, OLD.record_id, OLD.first_name, OLD.middle_name,
                 OLD.last_name, OLD.suffix, OLD.full_name, OLD.dob, OLD.ssn_last4, OLD.street,
                 OLD.unit, OLD.city, OLD.state, OLD.zip, OLD.phone, OLD.phone_type, OLD.email,
                 OLD.employer, OLD.first_seen, OLD.last_seen, OLD.event, OLD.event_date,
                 OLD.raw_hash, OLD.imported_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
           END""",
    ]),
    (8, [
        # An audit chain a writer cannot quietly rewrite (tracer/audit/trail.py).
        # chain 2 entries hash also how the actor was identified (actor_auth) and the
        # SHA-256 of the payload's redacted form (redacted_sha256), so a redaction can
        # only ever put that form in its place.  Entries written before keep chain 1;
        # their redacted form is recorded here (unhashed: the trigger and verify's
        # shape check protect them).
        "ALTER TABLE audit ADD COLUMN chain INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE audit ADD COLUMN actor_auth TEXT",
        "ALTER TABLE audit ADD COLUMN redacted_sha256 TEXT",
        "DROP TRIGGER audit_no_update",
        "UPDATE audit SET redacted_sha256 = tracer_redacted_sha256(payload) WHERE redacted = 0",
        # The only update: a redaction that changes nothing but payload and redacted.
        """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
           WHEN NOT (OLD.redacted = 0 AND NEW.redacted = 1 AND NEW.seq = OLD.seq
                     AND NEW.ts = OLD.ts AND NEW.event = OLD.event
                     AND NEW.actor IS OLD.actor AND NEW.account_id IS OLD.account_id
                     AND NEW.lookup_id IS OLD.lookup_id
                     AND NEW.payload_sha256 = OLD.payload_sha256
                     AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash
                     AND NEW.chain = OLD.chain AND NEW.actor_auth IS OLD.actor_auth
                     AND NEW.redacted_sha256 IS OLD.redacted_sha256)
           BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END""",
        # ... and the new payload is exactly the redacted form committed at insert.
        # tracer_sha256 exists only on tracer's own connections: another writer's
        # UPDATE of payload fails outright ("no such function").
        """CREATE TRIGGER audit_redaction_form BEFORE UPDATE OF payload ON audit
           WHEN OLD.redacted_sha256 IS NULL
                OR tracer_sha256(NEW.payload) IS NOT OLD.redacted_sha256
           BEGIN SELECT RAISE(ABORT, 'audit is append-only (a redaction writes only the redacted form)'); END""",
        # A workspace within a few times its input (bench/README.md, workspace size): a
        # block index holds only the records that have the key.  Every store query is
        # `key = ?`, which implies `key IS NOT NULL`, so SQLite still uses each one; a
        # million tiny rows without phones, emails, addresses or birth years no longer
        # cost five indexes of NULLs (52 MB).
        "DROP INDEX idx_records_last",
        "CREATE INDEX idx_records_last ON records(k_last, k_dob_year)"
        " WHERE k_last IS NOT NULL AND k_dob_year IS NOT NULL",
        "DROP INDEX idx_records_ssn4",
        "CREATE INDEX idx_records_ssn4 ON records(ssn_last4) WHERE ssn_last4 IS NOT NULL",
        "DROP INDEX idx_records_phone",
        "CREATE INDEX idx_records_phone ON records(k_phone) WHERE k_phone IS NOT NULL",
        "DROP INDEX idx_records_email",
        "CREATE INDEX idx_records_email ON records(k_email) WHERE k_email IS NOT NULL",
        "DROP INDEX idx_records_addr",
        "CREATE INDEX idx_records_addr ON records(k_addr) WHERE k_addr IS NOT NULL",
        # Inserts go through AuditTrail.append: a row claiming chain 1 after chain 2
        # began would dodge the stronger hash.
        """CREATE TRIGGER audit_chain_forward BEFORE INSERT ON audit
           WHEN NEW.chain < (SELECT coalesce(max(chain), 1) FROM audit)
           BEGIN SELECT RAISE(ABORT, 'audit entries keep the newest chain format'); END""",
    ]),
    (9, [
        # No full DOB at rest (DESIGN invariant 4): dates of birth sealed under the
        # workspace key (tracer/sealed.py), the packed features cut of theirs (a trace
        # takes the date from the opened column), freed pages overwritten.
        "UPDATE accounts SET dob = tracer_seal_dob(dob) WHERE dob IS NOT NULL",
        "UPDATE records SET dob = tracer_seal_dob(dob) WHERE dob IS NOT NULL",
        "UPDATE record_history SET dob = tracer_seal_dob(dob) WHERE dob IS NOT NULL",
        "UPDATE records SET features = tracer_features_without_dob(features)"
        " WHERE features IS NOT NULL",
    ]),
]
# 10: sign-in for the team server, kept with its repository (self-contained entry).
MIGRATIONS.append(_CREDENTIALS_MIGRATION)
MIGRATIONS.append((11, [
    # The chain-format guard read max(chain) over the whole trail on every append: a
    # full scan of the audit table per entry (17 ms at 12k entries, growing with the
    # trail).  The newest entry's format is the highest (this trigger has kept it so
    # since migration 8, and no update may change it), and the newest entry is one
    # rowid lookup away.
    "DROP TRIGGER audit_chain_forward",
    """CREATE TRIGGER audit_chain_forward BEFORE INSERT ON audit
       WHEN NEW.chain < coalesce((SELECT chain FROM audit ORDER BY seq DESC LIMIT 1), 1)
       BEGIN SELECT RAISE(ABORT, 'audit entries keep the newest chain format'); END""",
]))
SCHEMA_VERSION = max(version for version, _ in MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Apply every migration newer than the file's ``user_version``; returns those applied."""
    applied = []
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    for version, statements in sorted(MIGRATIONS, key=lambda m: m[0]):
        if version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for stmt in statements:
                conn.execute(stmt)
            conn.execute(f"PRAGMA user_version = {int(version)}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        applied.append(version)
    if applied:
        # What a migration rewrote (a DOB it sealed) leaves the WAL for the file now, so
        # no earlier page image of it stays readable beside the workspace.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return applied
