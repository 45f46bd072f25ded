"""The operator's command line: each command parses its options and calls one service function."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from cdnexport import logs
from cdnexport.config import Settings
from cdnexport.db import accounts
from cdnexport.db.engine import Database
from cdnexport.domain.names import InvalidName
from cdnexport.services import Services, build_services
from cdnexport.usage.logs.formats import LogFormat

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
account_app = typer.Typer(no_args_is_help=True, help="Customer accounts and their AccessKeys.")
domain_app = typer.Typer(no_args_is_help=True, help="Domains owned by accounts.")
group_app = typer.Typer(no_args_is_help=True, help="Domain groups of an account.")
usage_app = typer.Typer(no_args_is_help=True, help="5-minute usage samples.")
operator_app = typer.Typer(no_args_is_help=True, help="Operators of the web console.")
webhook_app = typer.Typer(
    no_args_is_help=True, help="Webhooks: a signed POST when an account's export finishes."
)
app.add_typer(account_app, name="account")
app.add_typer(domain_app, name="domain")
app.add_typer(group_app, name="group")
app.add_typer(usage_app, name="usage")
app.add_typer(operator_app, name="operator")
app.add_typer(webhook_app, name="webhook")

AccountArg = Annotated[str, typer.Argument(help="Account name (or id).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _services() -> Services:
    from cdnexport.db.migrate import SchemaError

    settings = Settings()
    logs.configure(settings.log_level, settings.log_format)
    try:
        return build_services(settings)
    except SchemaError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@account_app.command("create")
def account_create(name: Annotated[str, typer.Argument()], as_json: JsonOpt = False) -> None:
    """Create an account and print its AccessKey pair."""
    services = _services()
    try:
        with services.db.write() as conn:
            acct = accounts.create_account(conn, name, int(services.clock.now()))
    except accounts.Conflict as exc:
        _fail(str(exc))
        return
    out = {
        "AccountId": acct.id,
        "Name": acct.name,
        "AccessKeyId": acct.access_key_id,
        "AccessKeySecret": acct.access_key_secret,
    }
    if as_json:
        typer.echo(json.dumps(out))
    else:
        for key, value in out.items():
            typer.echo(f"{key}: {value}")


@account_app.command("disable")
def account_disable(account: AccountArg) -> None:
    """Disable an account's AccessKey (requests get InvalidAccessKeyId.Inactive)."""
    _set_active(account, False)


@account_app.command("enable")
def account_enable(account: AccountArg) -> None:
    """Enable an account's AccessKey again."""
    _set_active(account, True)


def _set_active(name: str, active: bool) -> None:
    services = _services()
    try:
        with services.db.write() as conn:
            accounts.set_active(conn, accounts.by_name(conn, name).id, active)
    except accounts.NotFound as exc:
        _fail(str(exc))


@operator_app.command("add")
def operator_add(
    name: Annotated[str, typer.Argument(help="Operator name (used to sign in).")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a web console operator (/console/operator/); the password is stored hashed."""
    from cdnexport.db import operators

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    services = _services()
    try:
        with services.db.write() as conn:
            operators.create_operator(conn, name, password, int(services.clock.now()))
    except (accounts.Conflict, ValueError) as exc:
        _fail(str(exc))
        return
    typer.echo(
        f"operator {name!r} created; sign in at {services.settings.base_url}/console/operator/"
    )


@domain_app.command("add")
def domain_add(account: AccountArg, domains: Annotated[list[str], typer.Argument()]) -> None:
    """Give domains to an account."""
    services = _services()
    try:
        with services.db.write() as conn:
            added = accounts.add_domains(conn, accounts.by_name(conn, account).id, domains)
    except (accounts.NotFound, accounts.Conflict, InvalidName) as exc:
        _fail(str(exc))
        return
    typer.echo(f"added {len(added)} domain(s)")


@group_app.command("create")
def group_create(
    account: AccountArg,
    group: Annotated[str, typer.Argument(help="Group name.")],
    domains: Annotated[list[str], typer.Argument(help="Domains of the account.")],
) -> None:
    """Create a domain group (or add domains to it)."""
    services = _services()
    try:
        with services.db.write() as conn:
            accounts.create_group(conn, accounts.by_name(conn, account).id, group, domains)
    except (accounts.NotFound, InvalidName) as exc:
        _fail(str(exc))
        return
    typer.echo(f"group {group}: {len(domains)} domain(s)")


@webhook_app.command("set")
def webhook_set(
    account: AccountArg,
    url: Annotated[str, typer.Argument(help="http(s) URL that receives the events.")],
    as_json: JsonOpt = False,
) -> None:
    """Send the account's export.succeeded / export.failed events to URL, signed with a new
    secret (printed once; replaces any earlier webhook and secret)."""
    from cdnexport.webhooks.manage import set_webhook
    from cdnexport.webhooks.targets import TargetRefused

    services = _services()
    try:
        done = set_webhook(services, account, url)
    except (accounts.NotFound, TargetRefused) as exc:
        _fail(str(exc))
        return
    out = {"AccountId": done.account_id, "Url": done.url, "Secret": done.secret}
    if as_json:
        typer.echo(json.dumps(out))
        return
    for key, value in out.items():
        typer.echo(f"{key}: {value}")
    typer.echo("The secret is shown only now: keep it where your receiver can read it.")


@webhook_app.command("deliveries")
def webhook_deliveries(
    account: AccountArg,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Attempts to show.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """The account's latest delivery attempts, newest first."""
    from cdnexport.webhooks.manage import delivery_log

    services = _services()
    try:
        log = delivery_log(services, account, limit)
    except accounts.NotFound as exc:
        _fail(str(exc))
        return
    if as_json:
        typer.echo(json.dumps([dataclasses.asdict(entry) for entry in log]))
        return
    for entry in log:
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(entry.at))
        outcome = entry.error or f"HTTP {entry.status_code}"
        typer.echo(
            f"{when}  {entry.event_id}  {entry.event_type}  task {entry.task_id}  "
            f"attempt {entry.attempt}  {outcome}  {entry.duration_ms} ms  ({entry.event_status})"
        )


@usage_app.command("ingest")
def usage_ingest(
    account: AccountArg,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or Parquet.")],
) -> None:
    """Load 5-minute usage samples from a CSV or Parquet file (all rows or none)."""
    from cdnexport.usage.ingest import IngestError, ingest_file

    services = _services()
    try:
        with services.db.read() as conn:
            account_id = accounts.by_name(conn, account).id
        report = ingest_file(services.db, account_id, file)
    except accounts.NotFound as exc:
        _fail(str(exc))
        return
    except IngestError as exc:
        _fail(str(exc))
        return
    typer.echo(f"ingested {report.rows} rows")


@usage_app.command("ingest-logs")
def usage_ingest_logs(
    account: AccountArg,
    files: Annotated[
        list[Path], typer.Argument(exists=True, dir_okay=False, help="Access logs, plain or gzip.")
    ],
    log_format: Annotated[LogFormat, typer.Option("--format", help="Log line format.")],
    region: Annotated[
        str | None, typer.Option(help="Billing region of every line: CN AP1 AP2 AP3 NA EU MEAA SA.")
    ] = None,
    node_map: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="CSV of node pattern,region rows."),
    ] = None,
) -> None:
    """Add the usage in access logs to 5-minute samples; a file read before adds nothing."""
    from cdnexport.usage.logs.ingest import LogIngestError, ingest_logs, region_source
    from cdnexport.usage.logs.nodemap import NodeMapError
    from cdnexport.usage.logs.progress import progress_for
    from cdnexport.usage.logs.report import render_report

    services = _services()
    try:
        regions = region_source(region, node_map)
        with services.db.read() as conn:
            account_id = accounts.by_name(conn, account).id
        total = sum(path.stat().st_size for path in files)
        with progress_for(sys.stderr, total) as progress:
            report = ingest_logs(
                services.db,
                account_id,
                files,
                log_format,
                regions,
                clock=services.clock,
                progress=progress,
            )
    except (accounts.NotFound, LogIngestError, NodeMapError) as exc:
        _fail(str(exc))
        return
    for line in render_report(report):
        typer.echo(line)
    if report.rejected:
        raise typer.Exit(1)


@usage_app.command("demo")
def usage_demo(
    account: AccountArg,
    domains: Annotated[int, typer.Option(min=1, max=200, help="How many domains.")] = 3,
    days: Annotated[int, typer.Option(min=1, max=366, help="How many days of history.")] = 35,
) -> None:
    """Create demo domains, a group, and realistic usage for them."""
    from cdnexport.usage.demo import generate_demo

    services = _services()
    try:
        with services.db.read() as conn:
            account_id = accounts.by_name(conn, account).id
    except accounts.NotFound as exc:
        _fail(str(exc))
        return
    report = generate_demo(
        services.db, account_id, domains=domains, days=days, now=int(services.clock.now())
    )
    typer.echo(f"demo usage written: {report}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Create a demo tenant with data and print how to call.")
    ] = False,
    processes: Annotated[
        int, typer.Option(min=1, help="API processes (more than 1: uvicorn workers).")
    ] = 1,
    export_workers: Annotated[
        int | None,
        typer.Option(min=0, help="Export worker threads (0: none); default: worker_threads."),
    ] = None,
) -> None:
    """Serve the API and downloads, with export workers (N API processes with --processes)."""
    from cdnexport import metrics_dir

    metrics_dir.prepare()  # before the import below brings in prometheus_client
    from cdnexport.web.serve import ServeError
    from cdnexport.web.serve import serve as run_server

    # Through the environment, so that every API process of --processes sees them too, and
    # download links name the address actually served (unless CDNEXPORT_PUBLIC_URL is set).
    if host is not None:
        os.environ["CDNEXPORT_HOST"] = host
    if port is not None:
        os.environ["CDNEXPORT_PORT"] = str(port)
    services = _services()
    settings = services.settings
    if demo:
        from cdnexport.demo_tenant import ensure_demo_tenant, usage_banner

        tenant = ensure_demo_tenant(services)
        typer.echo(usage_banner(tenant, settings.base_url, int(services.clock.now())))
    workers = settings.worker_threads if export_workers is None else export_workers
    try:
        run_server(services, settings.host, settings.port, processes, workers)
    except ServeError as exc:
        _fail(str(exc))


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Export workers to run.")] = 1,
) -> None:
    """Run export workers only (no API)."""
    from cdnexport.worker.pool import run_until_signalled

    run_until_signalled(_services(), concurrency)


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest revision (and, on PostgreSQL, its partitions)."""
    from cdnexport.db import migrate as migrations

    settings = Settings()
    db = Database(settings.effective_database_url)
    now = int(time.time())
    try:
        revision = migrations.migrate_database(db, now, now - settings.usage_retention_days * 86400)
    except migrations.SchemaError as exc:
        _fail(str(exc))
        return
    finally:
        db.dispose()
    typer.echo(f"schema is current (revision {revision})")


@app.command()
def cluster(
    work_dir: Annotated[
        Path, typer.Option("--dir", help="Folder for nanio's objects, temp files and logs.")
    ] = Path("./cdnexport-cluster"),
    apis: Annotated[int, typer.Option(min=1, help="API processes.")] = 2,
    workers: Annotated[int, typer.Option(min=1, help="Export worker processes.")] = 2,
    as_json: JsonOpt = False,
) -> None:
    """Run a local scale-out cluster on 127.0.0.1 (PostgreSQL and Redis from the environment,
    nanio as S3) until Ctrl-C."""
    from cdnexport.cluster import ClusterError, run

    try:
        run(work_dir, apis, workers, as_json, sys.stdout)
    except ClusterError as exc:
        _fail(str(exc))


@app.command("settings")
def settings_table() -> None:
    """Print every setting as a Markdown table (the README's configuration table)."""
    from cdnexport.settings_doc import settings_markdown

    typer.echo(settings_markdown())


def main() -> None:
    app()
