"""`python -m mock_salesforce serve` (also the `mock-salesforce` console script): a standalone org."""

from __future__ import annotations

import click

from mock_core.cli import admin_token_option, credentials_file_option
from mock_core.server import ServerThread, check_exposure, quiet_werkzeug, write_credentials
from mock_salesforce.app import create_app, get_org
from mock_salesforce.store import DEFAULT_PASSWORD, DEFAULT_TOKEN, DEFAULT_USERNAME


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """A Salesforce org emulator (Task REST API) for offline development and tests."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8443, show_default=True, type=int, help="Port (0 picks a free one).")
@click.option("--http", "plain_http", is_flag=True, help="Plain HTTP instead of HTTPS.")
@click.option(
    "--db",
    "db_url",
    default=None,
    help="SQLAlchemy URL to persist to (sqlite:///org.db, postgresql+psycopg://...).",
)
@click.option(
    "--tls-cert", default=None, type=click.Path(exists=True, dir_okay=False), help="PEM certificate."
)
@click.option(
    "--tls-key", default=None, type=click.Path(exists=True, dir_okay=False), help="PEM private key."
)
@click.option("--seed", "seed_count", default=0, show_default=True, type=int, help="Seed N realistic tasks.")
@click.option(
    "--instance-url", default=None, help="Instance URL to hand out at login (default: this server's URL)."
)
@admin_token_option
@credentials_file_option("the login secrets")
def serve(
    host, port, plain_http, db_url, tls_cert, tls_key, seed_count, instance_url, admin_token, credentials_file
) -> None:
    """Serve one org over HTTPS (self-signed certificate unless --tls-cert/--tls-key) or --http.

    Secrets are never printed: the login's password and security token go to a file only you can read."""
    if tls_cert and not tls_key:
        raise click.UsageError("--tls-cert needs --tls-key")
    try:
        check_exposure(host, admin_token)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    app = create_app({"DB_URL": db_url, "INSTANCE_URL": instance_url, "ADMIN_TOKEN": admin_token})
    org = get_org(app)
    if seed_count:
        org.seed(seed_count, seed=1)
    server = ServerThread(app, host=host, port=port, tls=not plain_http, cert_file=tls_cert, key_file=tls_key)
    quiet_werkzeug()
    click.echo(f"Salesforce mock org {org.org_id} at {instance_url or server.url}")
    if server.ca_path:
        click.echo(f"  trust this CA certificate: {server.ca_path}")
    secrets = [f"username={DEFAULT_USERNAME} password={DEFAULT_PASSWORD} security_token={DEFAULT_TOKEN}"]
    if admin_token:
        secrets.append(f"admin token (X-Admin-Token): {admin_token}")
    path = write_credentials(secrets, credentials_file)
    click.echo(f"  login: username={DEFAULT_USERNAME}; password and security token in {path} (mode 0600)")
    click.echo(
        "  from Python: Salesforce(username=..., password=..., security_token=..., "
        f"session=salesforce_session({server.url!r}, {server.ca_path!r}))"
    )
    lock = "needs X-Admin-Token" if admin_token else "open: loopback only, no --admin-token"
    click.echo(f"  control plane: {server.url}/__admin/   ({lock}; Ctrl-C stops)")
    server.serve_forever()


if __name__ == "__main__":
    main()
