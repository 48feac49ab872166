"""Options the `tasksync` commands share (`run` in sync/cli.py, `worker`/`enqueue` in
sync/fleet_cli.py), defined once so their names, environment variables and help stay the same."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

sia_url_option = click.option("--sia-url", envvar="TASKSYNC_SIA_URL", required=True, help="SIA base URL.")
service_token_option = click.option(
    "--service-token", envvar="TASKSYNC_SIA_TOKEN", required=True, help="SIA service token."
)


def salesforce_options(func: F) -> F:
    """`--salesforce-url` (a mock server instead of salesforce.com) and `--ca-bundle` (its CA)."""
    func = click.option(
        "--ca-bundle", envvar="TASKSYNC_SF_CA_BUNDLE", default=None, help="CA file for Salesforce TLS."
    )(func)
    return click.option(
        "--salesforce-url", envvar="TASKSYNC_SF_URL", default=None, help="A mock Salesforce server URL."
    )(func)


def api_budget_option(help: str) -> Callable[[F], F]:
    """`--api-budget`: the share of an org's API allocation at which calls stop (F3/F4)."""
    return click.option(
        "--api-budget",
        type=click.FloatRange(0, 1, min_open=True),
        envvar="TASKSYNC_API_BUDGET",
        default=0.9,
        show_default=True,
        help=help,
    )
