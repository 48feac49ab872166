"""`python -m mock_sia serve` (or `mock-sia serve`): the SIA mock as a standalone HTTP(S) server."""

from __future__ import annotations

import click

from mock_core.cli import admin_token_option, credentials_file_option
from mock_core.server import ServerThread, check_exposure, quiet_werkzeug, write_credentials


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Mock of Marketo Sales Insight Actions (reminder tasks, task sync settings, Command Center)."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port (0 picks a free one).")
@click.option(
    "--db",
    "db_url",
    default=None,
    metavar="URL",
    help="SQLAlchemy URL to persist state (sqlite:///sia.db, postgresql+psycopg://...). Default: in memory.",
)
@click.option(
    "--tls/--http",
    default=False,
    show_default=True,
    help="HTTPS with a throw-away CA (its PEM path is printed), or plain HTTP.",
)
@click.option(
    "--tls-cert",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="Certificate (PEM) to use instead of the throw-away CA.",
)
@click.option(
    "--tls-key",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="Private key (PEM) for --tls-cert.",
)
@click.option(
    "--seed",
    "seed_count",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Create this many Faker tasks for the default user at start.",
)
@click.option(
    "--seed-value",
    default=1,
    show_default=True,
    type=int,
    help="Random seed of --seed (the same value gives the same tasks).",
)
@click.option("--service-token", default=None, help="Service token for the sync (default sia-service-token).")
@click.option(
    "--salesforce-ca",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="CA file to trust when the Settings page tries a Salesforce login (a mock server's CA).",
)
@admin_token_option
@credentials_file_option("the tokens and passwords")
def serve(
    host: str,
    port: int,
    db_url: str | None,
    tls: bool,
    tls_cert: str | None,
    tls_key: str | None,
    seed_count: int,
    seed_value: int,
    service_token: str | None,
    salesforce_ca: str | None,
    admin_token: str | None,
    credentials_file: str | None,
) -> None:
    """Serve the SIA API (/api/v1), its pages (/login, /settings, /command_center) and /__admin.

    Secrets are never printed: the service token, the users' API tokens and page passwords go to a
    file only you can read (its path is printed)."""
    from mock_sia.app import create_app, get_sia, page_password  # here, so `--help` loads no Flask app

    try:
        check_exposure(host, admin_token)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    quiet_werkzeug()
    app = create_app(
        {
            "DB_URL": db_url,
            "SERVICE_TOKEN": service_token,
            "ADMIN_TOKEN": admin_token,
            "SALESFORCE_CA_BUNDLE": salesforce_ca,
        }
    )
    sia = get_sia(app)
    if seed_count:
        result = sia.seed(seed_count, seed_value)
        click.echo(f"seeded {result['created']} tasks for {result['user_id']}")
    try:
        server = ServerThread(
            app, host, port, tls=tls or bool(tls_cert), cert_file=tls_cert, key_file=tls_key
        )
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot serve on {host}:{port}: {exc}") from exc
    click.echo(f"SIA mock listening on {server.url}")
    if server.ca_path:
        click.echo(f"  CA certificate: {server.ca_path}")
    click.echo(f"  API: {server.url}/api/v1  (OpenAPI: {server.url}/api/v1/openapi.json)")
    secrets = [f"service token: {sia.service_token}"]
    for user in sia.list_users():
        secrets.append(
            f"{user['role']:5} {user['email']:24} {user['id']:8} token {user['api_token']}"
            f"  page password {page_password(user['email'])} (unless set at creation)"
        )
    if admin_token:
        secrets.append(f"admin token (X-Admin-Token): {admin_token}")
    path = write_credentials(secrets, credentials_file)
    click.echo(f"  pages: {server.url}/login  (each user's password: NAME-password for NAME@...)")
    for user in sia.list_users():
        click.echo(f"  {user['role']:5} {user['email']:24} {user['id']:8} ({user['time_zone']})")
    click.echo(f"  tokens and passwords: {path}  (readable only by you)")
    lock = "needs X-Admin-Token" if admin_token else "open: loopback only, no --admin-token"
    click.echo(f"  control plane: {server.url}/__admin/  ({lock})")
    click.echo("Ctrl-C stops.")
    server.serve_forever()


if __name__ == "__main__":
    main()
