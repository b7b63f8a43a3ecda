"""The gate's policy, one row per check: outcome, reason and citation (issue: the gate)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tracer.consent.gate import decide
from tracer.consent.policy import LookupContext, load_policy
from tracer.consent.purposes import load_catalog
from tracer.errors import ConfigError

POLICY = load_policy()
CATALOG = load_catalog()
REASON = "mail returned undeliverable, need a current address"


def source(name, kind, fields=("first_name", "last_name", "dob", "ssn_last4", "zip"),
           purposes=("*",)):
    return SimpleNamespace(name=name, kind=kind, query_fields=fields, purposes=purposes,
                           enabled=True)


SOURCES = [source("history", "internal", ("account_id",)),
           source("court", "public_record"),
           source("vendor", "vendor_file")]


def ctx(*, role="collector", active=1, user_id="alice", status="open", flags="",
        assigned_to=None, origin="consumer_credit", purpose="collect-debt", reason=REASON,
        judgment_ref=None, per_hour=0, repeats=0, batch=False, user=True, account=True,
        sources=SOURCES):
    return LookupContext(
        user={"id": user_id, "role": role, "active": active} if user else None,
        account={"account_id": "A1", "status": status, "flags": flags,
                 "assigned_to": assigned_to, "debt_origin": origin} if account else None,
        purpose_code=purpose, purpose=CATALOG.get(purpose), reason=reason,
        judgment_ref=judgment_ref, lookups_last_hour=per_hour,
        recent_lookups_of_account=repeats, batch=batch, sources=sources)


# (id, context, outcome, reason code, citation fragment or None)
CASES = [
    ("collector, own account", ctx(assigned_to="alice"), "allow", "user_may_trace", None),
    ("collector, unassigned", ctx(), "allow", "purpose_permitted", "1681b(a)(3)(A)"),
    ("collector, someone else's", ctx(assigned_to="bob"), "deny", "not_assigned", None),
    ("supervisor, anyone's", ctx(role="supervisor", assigned_to="bob"), "allow", "user_may_trace", None),
    ("compliance never traces", ctx(role="compliance"), "deny", "role_cannot_trace", None),
    ("data never traces", ctx(role="data"), "deny", "role_cannot_trace", None),
    ("unknown user", ctx(user=False), "deny", "user_unknown", None),
    ("inactive user", ctx(active=0), "deny", "user_inactive", None),
    ("no account", ctx(account=False), "deny", "account_unknown", None),
    ("closed account", ctx(status="closed"), "deny", "account_not_open", None),
    ("paid account", ctx(status="paid"), "deny", "account_not_open", None),
    ("recalled account", ctx(status="recalled"), "deny", "account_not_open", None),
    ("unknown purpose", ctx(purpose="marketing"), "deny", "purpose_unknown", None),
    ("judgment ref missing", ctx(purpose="enforce-judgment"), "deny", "requirement_missing", "2721(b)(4)"),
    ("judgment ref given", ctx(purpose="enforce-judgment", judgment_ref="2024-CV-0012"), "allow", "purpose_permitted", "2721(b)(4)"),
    ("estate purpose, not deceased", ctx(purpose="locate-estate-representative"), "deny", "requirement_missing", "1006.6(a)(4)"),
    ("empty justification", ctx(reason="  "), "deny", "justification_missing", None),
    ("placeholder justification", ctx(reason="TBD"), "deny", "justification_placeholder", None),
    ("justification copies title", ctx(reason="Locate a consumer to collect a debt they owe"), "deny", "justification_copies_purpose", None),
    ("justification too short", ctx(reason="need address"), "deny", "justification_too_short", None),
    ("repeated word", ctx(reason="skip skip skip skip skip"), "deny", "justification_too_short", None),
    ("involuntary debt, FCRA purpose", ctx(origin="involuntary"), "deny", "debt_origin_not_fcra", "1681b(a)(3)(A)"),
    ("involuntary debt, judgment", ctx(origin="involuntary", purpose="enforce-judgment", judgment_ref="J-1"), "allow", "purpose_permitted", None),
    ("bankruptcy", ctx(flags="bankruptcy"), "deny", "flag_bankruptcy", "11 U.S.C. 362"),
    ("deceased, collect", ctx(flags="deceased"), "deny", "flag_deceased", "1006.6(a)(4)"),
    ("deceased, estate", ctx(flags="deceased", purpose="locate-estate-representative"), "allow", "purpose_permitted", "1006.6(a)(4)"),
    ("cease communication, contact", ctx(flags="cease_communication"), "deny", "flag_cease_communication", "1692c(c)"),
    ("cease communication, verify", ctx(flags="cease_communication", purpose="verify-identity"), "allow", "purpose_permitted", "6802(e)(3)(B)"),
    ("attorney represented", ctx(flags="attorney_represented"), "deny", "flag_attorney_represented", "1692c(a)(2)"),
    ("disputed", ctx(flags="disputed"), "deny", "flag_disputed", "1692g(b)"),
    ("military", ctx(flags="military"), "restrict", "flag_military", "SCRA"),
    ("litigious, collector", ctx(flags="litigious"), "deny", "flag_litigious", None),
    ("litigious, supervisor", ctx(flags="litigious", role="supervisor"), "restrict", "flag_litigious", None),
    ("estate excludes vendor files", ctx(flags="deceased", purpose="locate-estate-representative"), "allow", "source_kind_excluded", None),
    ("rate limit", ctx(per_hour=60), "deny", "rate_limit", None),
    ("rate limit not for batches", ctx(per_hour=500, batch=True), "allow", "purpose_permitted", None),
    ("repeat lookup flagged", ctx(repeats=1), "restrict", "repeat_lookup", None),
    ("repeat lookup denied", ctx(repeats=5), "deny", "repeat_lookup", None),
    ("no permitted source", ctx(sources=[source("vendor", "vendor_file")], flags="deceased", purpose="locate-estate-representative"), "deny", "no_permitted_source", None),
]


@pytest.mark.parametrize("context, outcome, code, citation",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_policy_table(context, outcome, code, citation):
    decision = decide(context, POLICY)
    codes = [r.code for r in decision.reasons]
    shown = "allow" if decision.outcome == "allow" else decision.outcome
    if outcome == "allow":
        assert decision.outcome in ("allow", "restrict"), codes
    else:
        assert shown == outcome, codes
    assert code in codes, codes
    if citation:
        reason = next(r for r in decision.reasons if r.code == code)
        assert any(citation in c for c in reason.citations), reason.citations
    assert decision.policy_version == POLICY.version


def test_deny_wins_over_allow():
    decision = decide(ctx(flags="bankruptcy;military", role="supervisor"), POLICY)
    assert decision.outcome == "deny"
    assert decision.allowed_sources == ()


def test_default_deny_when_no_rule_allows():
    weird = ctx()
    weird.user = {"id": "x", "role": "collector", "active": 1}
    policy = POLICY.__class__(**{**POLICY.__dict__, "tracing_roles": ()})
    decision = decide(weird, policy)
    assert decision.outcome == "deny"
    assert "role_cannot_trace" in [r.code for r in decision.reasons]


def test_field_minimisation_per_source():
    decision = decide(ctx(flags="deceased", purpose="locate-estate-representative"), POLICY)
    assert decision.source_fields["court"] == ("first_name", "last_name", "zip")
    assert "vendor" not in decision.source_fields  # vendor files not permitted for estates
    assert decision.source_fields["history"] == ("account_id",)
    full = decide(ctx(), POLICY)
    assert full.source_fields["court"] == ("first_name", "last_name", "dob", "ssn_last4", "zip")
    for fields in full.source_fields.values():
        assert "ssn" not in fields


def test_verify_identity_returns_no_contact_kinds():
    decision = decide(ctx(purpose="verify-identity"), POLICY)
    assert decision.allowed and decision.allowed_kinds == ()


@pytest.mark.parametrize("text, message", [
    ("catalog_version = 1\n[[purpose]]\ncode = 'x'\n", "line 2: purpose needs a non-empty 'title'"),
    ("[[purpose]]\ncode='a'\ntitle='A'\nlegal_basis=['x']\n\n[[purpose]]\ncode='b'\ntitle='B'\n"
     "legal_basis=['y']\nsource_kinds=['darkweb']\n", "line 6: 'source_kinds' has unknown value"),
    ("[[purpose]]\ncode = 'a'\ntitle = 'A'\nlegal_basis = []\n", "needs a 'legal_basis'"),
    ("[[purpose]\n", "line 1"),
])
def test_bad_catalog_is_a_clear_error_naming_the_line(tmp_path, monkeypatch, text, message):
    (tmp_path / "purposes.toml").write_text(text)
    monkeypatch.setenv("TRACER_CONFIG", str(tmp_path))
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_catalog()


def test_catalog_has_the_required_purposes_with_citations():
    for code in ("collect-debt", "enforce-judgment", "locate-estate-representative",
                 "verify-identity"):
        purpose = CATALOG.get(code)
        assert purpose is not None and purpose.legal_basis
        assert all("U.S.C." in c or "CFR" in c for c in purpose.legal_basis)
