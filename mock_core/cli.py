"""Command-line options both mocks' `serve` commands share (click), so their flags read alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

admin_token_option = click.option(
    "--admin-token",
    default=None,
    envvar="MOCK_ADMIN_TOKEN",
    show_envvar=True,
    help="Require 'X-Admin-Token: <this>' on /__admin. Needed when --host is not loopback.",
)


def credentials_file_option(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--credentials-file`: where `serve` writes `what` (the secrets it never prints)."""
    return click.option(
        "--credentials-file",
        default=None,
        type=click.Path(dir_okay=False),
        help=f"Where to write {what} (mode 0600; default: a new temporary file).",
    )
