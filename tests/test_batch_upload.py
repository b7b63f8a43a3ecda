"""A batch from an uploaded file (the team server's wizard), in the library: the upload
kept owner-only and only for its user, a preview that masks, every row judged (traced
or refused with its reason, nothing lost), and the batch started by the one rule."""

from __future__ import annotations

import io
import os
import stat

import pytest

from tracer.app import Session
from tracer.batch_upload import (open_upload, preview, rejects_of, select_accounts,
                                 store_upload, upload_path)
from tracer.errors import AccessDenied, InputError
from tracer.workspace import open_workspace


@pytest.fixture
def store(loaded):
    ws = open_workspace(loaded.db)
    yield ws
    ws.close()


def upload(store, text: str, user="sam") -> str:
    return store_upload(store, user, io.BytesIO(text.encode()))


@pytest.mark.parametrize("text, header, guess", [
    ("account_id,name\nACC-1,Ann\n", True, 0),
    ("name,acct\nAnn,ACC-1\nBob,ACC-2\n", True, 1),            # header without account_id
    ("ACC-1\nACC-2\n", False, 0),                              # no header at all
    ("ACC-1;Ann\nACC-3;Luis\n", False, 0),                     # another delimiter
    ("ref\tnote\nACC-1\tmoved\n", True, 0),
])
def test_preview_finds_the_header_and_the_account_column(store, text, header, guess):
    found = preview(open_upload(store, "sam", upload(store, text)))
    assert found["has_header"] is header and found["guess"] == guess


def test_the_preview_masks_dates_of_birth_and_ssns(store):
    text = "account_id,dob,ssn,note\nACC-1,1961-03-05,912-34-5678,born 03/05/1961\n"
    shown = str(preview(open_upload(store, "sam", upload(store, text)))["rows"])
    for secret in ("1961-03-05", "912-34-5678", "03/05/1961"):
        assert secret not in shown
    assert "XX" in shown


def test_every_row_is_traced_or_refused_with_its_reason(store):
    text = ("account_id,note\nACC-1,a\nACC-404,b\nbad id!,c\n,d\nACC-1,again\nACC-3,e\n")
    chosen = select_accounts(store, open_upload(store, "sam", upload(store, text)), 0)
    assert chosen.account_ids == ["ACC-1", "ACC-3"] and chosen.rows == 6
    lines = chosen.rejects_path.read_text().splitlines()
    assert lines[0] == "line,reason,account_id,note"
    reasons = {line.split(",")[0]: line for line in lines[1:]}
    assert "no such account" in reasons["3"] and "not an account id" in reasons["4"]
    assert "no account id" in reasons["5"] and "repeats the account of line 2" in reasons["6"]
    assert chosen.rejected == 4 == len(lines) - 1
    assert chosen.ids_path.read_text().split() == ["account_id", "ACC-1", "ACC-3"]
    assert rejects_of(store.path, chosen.ids_path.name) == chosen.rejects_path


def test_uploads_are_owner_only_and_only_for_their_user(store):
    upload_id = upload(store, "ACC-1\n")
    path = upload_path(store.path, "sam", upload_id)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    for user, made_up in (("alice", upload_id), ("sam", "U-" + "a" * 20),
                          ("sam", "../../etc/passwd")):
        with pytest.raises(InputError, match="no such upload"):
            upload_path(store.path, user, made_up)


@pytest.mark.parametrize("text, message", [("", "empty"), ("\n\n", "the uploaded file")])
def test_an_empty_upload_is_refused(store, text, message):
    with pytest.raises(InputError, match=message):
        preview(open_upload(store, "sam", upload(store, text)))


def test_an_oversized_upload_is_refused_and_not_kept(store, monkeypatch):
    import tracer.batch_upload as module
    monkeypatch.setattr(module, "MAX_UPLOAD", 1000)
    with pytest.raises(InputError, match="larger than"):
        upload(store, "ACC-1\n" * 400)
    assert not list(module.uploads_dir(store.path).glob("*.csv"))


def test_only_who_may_start_a_batch_uploads_one(store):
    with pytest.raises(AccessDenied, match="run batches"):
        Session(store, "alice").keep_batch_upload(io.BytesIO(b"ACC-1\n"))
    assert Session(store, "sam").may_start_batch() is True
    assert Session(store, "alice").may_start_batch() is False


def test_a_batch_starts_over_the_kept_accounts_and_runs(store):
    s = Session(store, "sam")
    upload_id = s.keep_batch_upload(io.BytesIO(b"account_id\nACC-1\nACC-2\nNOPE-9\n"))
    batch_id, chosen = s.start_uploaded_batch(
        upload_id, 0, purpose="collect-debt", reason="placement file: mail returned")
    assert chosen.account_ids == ["ACC-1", "ACC-2"] and chosen.rejected == 1
    summary = s.run_batch(batch_id)
    assert summary["status"] == "completed" and summary["total"] == 2
    assert summary["denied_by_reason"].get("flag_bankruptcy") == 1      # ACC-2, the gate
    assert s.batch_rejects(batch_id) == chosen.rejects_path


def test_a_file_that_names_no_known_account_starts_nothing(store):
    s = Session(store, "sam")
    upload_id = s.keep_batch_upload(io.BytesIO(b"account_id\nNOPE-1\nNOPE-2\n"))
    with pytest.raises(InputError, match="none of the file's 2 rows"):
        s.start_uploaded_batch(upload_id, 0, purpose="collect-debt",
                               reason="placement file: mail returned")
    assert s.batches() == []
