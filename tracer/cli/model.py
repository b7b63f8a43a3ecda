"""`tracer model`: train the workspace's match model and show the one in use."""

from __future__ import annotations

import json

import click

from ..app import Session
from ..matching.contact_model import describe, workspace_contact_model
from ..matching.model_store import workspace_model
from ._common import console, err_console, user_option, with_workspace


@click.group("model")
def model_group() -> None:
    """The match model: m/u per comparison level, trained on the workspace's records."""


@model_group.command("train")
@click.option("--json", "as_json", is_flag=True, help="Print the trained model as JSON.")
@user_option
@with_workspace
def model_train(ws, as_json, user_id) -> None:
    """Train on the records table: u from random pairs, m by EM (no labels needed);
    saved as the next version in the workspace and used by every later trace."""
    model, version = Session(ws, user_id).train_model()
    if as_json:
        click.echo(model.to_json())
        return
    info = model.trained_on
    console.print(f"model version {version}: {info.get('records', 0):,} records, "
                  f"{info.get('blocked_pairs', 0):,} blocked pairs, prior {model.prior:.3g}")
    _print_weights(model)


@model_group.command("calibrate")
@user_option
@click.option("--json", "as_json", is_flag=True, help="Print the fit's report as JSON.")
@with_workspace
def model_calibrate(ws, user_id, as_json) -> None:
    """Fit the contact model (how likely a contact is current and reaches the debtor)
    to the workspace's outcomes: saved as the next version, audited, and used by every
    later trace.  Prints the reliability on held-out outcomes."""
    model, report = Session(ws, user_id).calibrate_model()
    if as_json:
        click.echo(json.dumps({"version": model.version, **report}, indent=1))
        return
    counts = ", ".join(f"{n} {k}" for k, n in report["by_kind"].items())
    console.print(f"contact model version {model.version}: {report['examples']} outcomes "
                  f"used ({counts})")
    _print_reliability(model.fitted.get("held_out", {}), report.get("held_out_prior"))


@model_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the models as JSON.")
@with_workspace
def model_show(ws, as_json) -> None:
    """Show the models traces use now: the match model (the latest trained, else the
    shipped defaults) and the contact model (the latest calibration, else the prior),
    with its reliability on held-out outcomes."""
    model = workspace_model(ws, auto_train=False)
    contact = workspace_contact_model(ws)
    if as_json:
        click.echo(json.dumps({**model.to_dict(), "contact_model": contact.to_dict()},
                              indent=1, sort_keys=True))
        return
    _print_weights(model)
    console.print(f"{contact.label} (log-odds per piece of evidence):")
    for kind, coefs in contact.coefficients.items():
        shown = ", ".join(f"{describe(n)} {v:+.2f}" for n, v in sorted(coefs.items()) if v)
        console.print(f"  {kind:<8} {shown}")
    if contact.version:
        _print_reliability(contact.fitted.get("held_out", {}))
    else:
        console.print("  no outcomes fitted yet: `tracer outcomes import`, then "
                      "`tracer model calibrate`")


def _print_weights(model) -> None:
    for comp, row in zip(model.comparisons, model.bayes_factor_table()):
        levels = ", ".join(f"{lvl.label} {bf:+.1f}" for lvl, bf in zip(comp.levels, row)
                           if not lvl.is_null)
        console.print(f"  {comp.name:<12} {levels}")


def _print_reliability(held_out: dict, prior: dict | None = None) -> None:
    """Predicted against observed per bin and kind, on outcomes the fit did not see."""
    for kind, table in held_out.items():
        if not table or not table.get("examples"):
            continue
        before = f" (prior: {prior[kind]['ece']})" if prior and prior.get(kind) else ""
        console.print(f"  {kind}: {table['examples']} held-out outcomes, calibration error "
                      f"{table['ece']}{before}")
        for b in table["bins"]:
            console.print(f"    {b['bin']}  {b['examples']:>5}  predicted {b['predicted']:.2f}"
                          f"  observed {b['observed']:.2f}")


def register(cli: click.Group) -> None:
    cli.add_command(model_group)
