"""`tracer model`: train the workspace's match model and show the one in use."""

from __future__ import annotations

import json

import click

from ..errors import InputError
from ..matching.training import record_count, save_model, train_workspace_model, workspace_model
from ._common import console, with_workspace


@click.group("model")
def model_group() -> None:
    """The match model: m/u per comparison level, trained on the workspace's records."""


@model_group.command("train")
@click.option("--json", "as_json", is_flag=True, help="Print the trained model as JSON.")
@with_workspace
def model_train(ws, as_json) -> None:
    """Train on the records table: u from random pairs, m by EM (no labels needed);
    saved as the next version in the workspace and used by every later trace."""
    count = record_count(ws)
    if count < 2:
        what = "no records" if count == 0 else "only one record"
        raise InputError(f"the workspace has {what} to train on (a model needs pairs of "
                         "records): run `tracer records import` first")
    model = train_workspace_model(ws)
    version = save_model(ws, model)
    if as_json:
        click.echo(model.to_json())
        return
    info = model.trained_on
    console.print(f"model version {version}: {info.get('records', 0):,} records, "
                  f"{info.get('blocked_pairs', 0):,} blocked pairs, prior {model.prior:.3g}")
    _print_weights(model)


@model_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the model as JSON.")
@with_workspace
def model_show(ws, as_json) -> None:
    """Show the model traces use now (the latest trained, else the shipped defaults)."""
    model = workspace_model(ws, auto_train=False)
    if as_json:
        click.echo(json.dumps(model.to_dict(), indent=1, sort_keys=True))
        return
    _print_weights(model)


def _print_weights(model) -> None:
    for comp, row in zip(model.comparisons, model.bayes_factor_table()):
        levels = ", ".join(f"{lvl.label} {bf:+.1f}" for lvl, bf in zip(comp.levels, row)
                           if not lvl.is_null)
        console.print(f"  {comp.name:<12} {levels}")


def register(cli: click.Group) -> None:
    cli.add_command(model_group)
