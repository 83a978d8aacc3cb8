"""The `civic311` console command: every operator task, bound to the application factory."""

from __future__ import annotations

import secrets
import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from civic311.db import db


def _create_app(*_args) -> Flask:
    from civic311.app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def main() -> None:
    """civic311: a hosted, multi-tenant 311 platform."""


def register_cli(app: Flask) -> None:
    app.cli.add_command(tenants)
    app.cli.add_command(users)
    app.cli.add_command(apikeys)
    app.cli.add_command(worker)
    app.cli.add_command(demo)
    app.cli.add_command(migrate_command)
    app.cli.add_command(periodic_command)


def upgrade_database(app: Flask) -> None:
    """Run every migration (as the owner role on PostgreSQL)."""
    from civic311.migration_runner import upgrade

    upgrade(app)


@click.command("migrate")
@with_appcontext
def migrate_command() -> None:
    """Apply all migrations (the same as `civic311 db upgrade`)."""
    upgrade_database(current_app)
    click.echo("database is up to date")


@click.group()
def tenants() -> None:
    """Create and list cities."""


@tenants.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The city's name, as residents see it.")
@click.option("--timezone", default="America/Chicago", show_default=True)
@click.option("--status", default="trial", show_default=True)
@with_appcontext
def tenants_create(slug: str, name: str, timezone: str, status: str) -> None:
    """Create a city with slug SLUG."""
    from civic311.tenants.service import TenantError, create_tenant

    try:
        tenant = create_tenant(slug=slug, name=name, timezone=timezone, status=status)
        db.session.commit()
    except TenantError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {tenant.slug} ({tenant.name}), status {tenant.status}")


@tenants.command("list")
@with_appcontext
def tenants_list() -> None:
    from civic311.tenants.models import Tenant

    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.slug)):
        click.echo(f"{tenant.slug:20} {tenant.status:10} {tenant.name}")


@click.group()
def users() -> None:
    """Manage platform users."""


@users.command("create-admin")
@click.argument("email")
@click.option("--name", default="Platform admin")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def users_create_admin(email: str, name: str, password: str) -> None:
    """Create a platform admin (2FA is set up at first sign-in)."""
    from civic311.accounts.passwords import MIN_PASSWORD_LENGTH
    from civic311.accounts.service import AccountError, create_user

    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    try:
        create_user(email, name, password, platform_admin=True, verified=True)
        db.session.commit()
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"platform admin {email} created; 2FA enrolment starts at first sign-in")


@click.group()
def apikeys() -> None:
    """Issue Open311 API keys for scripts."""


@apikeys.command("create")
@click.option("--tenant", "slug", required=True, help="The city's slug.")
@click.option("--name", default="script", show_default=True)
@with_appcontext
def apikeys_create(slug: str, name: str) -> None:
    """Issue a key and print it once (only its hash is kept)."""
    from civic311.tenancy import tenant_context
    from civic311.tenants.apikeys import issue_key
    from civic311.tenants.models import Tenant

    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise click.ClickException(f"no city with slug {slug}")
    with tenant_context(tenant.id):
        _, raw = issue_key(name)
        db.session.commit()
    click.echo(raw)


@click.command()
@click.option("--queues", default="default,notifications,media,imports,billing", show_default=True)
@click.option("--with-scheduler/--no-scheduler", default=True, show_default=True,
              help="Also run the periodic jobs (outbox sweep, SLA escalation) in this process.")
@with_appcontext
def worker(queues: str, with_scheduler: bool) -> None:
    """Run an RQ worker (needs REDIS_URL)."""
    from civic311.worker import run_worker

    if not current_app.config["CIVIC311"].redis_url:
        raise click.ClickException("REDIS_URL is not set: in the embedded mode jobs run inline, no worker needed")
    run_worker(current_app._get_current_object(), queues.split(","), with_scheduler)


@click.command("periodic")
@click.option("--loop", is_flag=True, help="Keep running, each job when it falls due (embedded mode).")
@with_appcontext
def periodic_command(loop: bool) -> None:
    """Run the periodic jobs (outbox sweep, SLA escalation, billing, retention...) without a worker."""
    from civic311.platform.periodic import InlineSchedulerThread

    scheduler = InlineSchedulerThread(current_app._get_current_object())
    if loop:
        scheduler.run()
        return
    for name in scheduler.run_due():
        click.echo(f"ran {name}")


@click.command()
@click.option("--reset", is_flag=True, help="Start over with a fresh demo database.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Seed and print the logins, but do not start the server.")
@with_appcontext
def demo(reset: bool, host: str, port: int, no_serve: bool) -> None:
    """Seed two demo cities (on first run) and serve them."""
    from civic311.demo.seed import prepare_demo

    summary = prepare_demo(current_app._get_current_object(), reset=reset)
    click.echo(summary.render(port))
    if no_serve:
        return
    # Not app.run(): Flask ignores it inside a `flask`-style CLI command (FLASK_RUN_FROM_CLI is set).
    from werkzeug.serving import run_simple

    app = current_app._get_current_object()
    app.config["DEMO_MAILBOX"] = True  # /demo/mailbox shows the mail, when it only goes to the log
    if not app.config["CIVIC311"].redis_url:  # no worker in the embedded mode: sweep and escalate here
        from civic311.platform.periodic import InlineSchedulerThread

        InlineSchedulerThread(app).start()
    run_simple(host, port, app, use_reloader=False, use_debugger=False, threaded=True)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
