"""The ``mulu`` command line: the composition root, thin click commands over the catalog services."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from catalog.actor import Actor
from catalog.config import Settings, SettingsError
from catalog.container import Container
from catalog.errors import MuluError
from catalog.i18n import normalise_locale


class Context:
    """What every command shares: settings, a lazily built container and the output language."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.locale = normalise_locale(settings.default_locale)
        self._container: Container | None = None

    @property
    def container(self) -> Container:
        if self._container is None:
            self._container = Container.from_settings(self.settings)
        return self._container

    def actor(self, session, username: str | None) -> Actor:
        """The system actor, or a named user's actor (``--as``) so that their permissions apply."""
        if not username:
            return Actor.system("cli")
        from catalog.services.user import UserService, actor_for

        user = UserService(self.container, session, Actor.system("cli")).get_by_username(username)
        return actor_for(session, user, client="cli")

    def close(self) -> None:
        """Close the database connections of the container, if one was built."""
        if self._container is not None:
            self._container.dispose()


pass_context = click.make_pass_decorator(Context)


@contextmanager
def reported_errors(ctx: Context):
    """Turn domain errors into a readable message and exit status 1 (no traceback for users)."""
    try:
        yield
    except MuluError as exc:
        click.echo(exc.render(ctx.locale), err=True)
        sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", envvar=None, help="Override MULU_DATABASE_URL for this command.")
@click.option("--lang", type=click.Choice(["zh", "en"]), help="Language of messages (default: MULU_DEFAULT_LOCALE).")
@click.version_option(package_name="mulu")
@click.pass_context
def main(click_ctx: click.Context, database_url: str | None, lang: str | None) -> None:
    """Mulu (目录): the government information resource catalog.

    Settings come from MULU_* environment variables (see README).
    """
    overrides = {"database_url": database_url} if database_url else {}
    if lang:
        overrides["default_locale"] = "zh_CN" if lang == "zh" else "en"
    try:
        settings = Settings.from_env(**overrides)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc
    click_ctx.obj = Context(settings)
    # Pooled connections would otherwise outlive the command (and keep a PostgreSQL database busy).
    click_ctx.call_on_close(click_ctx.obj.close)


# -- database ------------------------------------------------------------------------------------


@main.command()
@click.option("--admin-username", default="admin", show_default=True, help="Username of the first administrator.")
@click.option("--admin-password", help="Password of the first administrator (prompted when omitted).")
@pass_context
def init(ctx: Context, admin_username: str, admin_password: str | None) -> None:
    """Create or upgrade the database, check vocabularies and the profile, create an admin."""
    from catalog.schema_setup import upgrade
    from catalog.services.user import UserService

    upgrade(ctx.container.engine)
    vocab, profile = ctx.container.vocab, ctx.container.profile
    click.echo(f"database: {ctx.settings.database_url}")
    click.echo(f"vocabularies: {len(vocab.names())}; profile: {' + '.join(profile.names)} ({len(profile.elements)} elements)")
    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        users = UserService(ctx.container, session, Actor.system("cli"))
        if any(u.role == "admin" for u in users.list()):
            click.echo("an administrator exists already")
            return
        password = admin_password or click.prompt("password for " + admin_username, hide_input=True,
                                                  confirmation_prompt=True)
        users.create(admin_username, password, "admin", display_name="系统管理员")
        click.echo(f"administrator {admin_username} created")


@main.group()
def db() -> None:
    """Database migrations (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@pass_context
def db_upgrade(ctx: Context, revision: str) -> None:
    """Upgrade the database schema to REVISION (default: head)."""
    from catalog.schema_setup import current, upgrade

    upgrade(ctx.container.engine, revision)
    click.echo(f"at revision {current(ctx.container.engine) or '(empty)'}")


@db.command("downgrade")
@click.argument("revision")
@pass_context
def db_downgrade(ctx: Context, revision: str) -> None:
    """Downgrade the database schema to REVISION (e.g. -1 or base)."""
    from catalog.schema_setup import current, downgrade

    downgrade(ctx.container.engine, revision)
    click.echo(f"at revision {current(ctx.container.engine) or '(empty)'}")


@db.command("current")
@pass_context
def db_current(ctx: Context) -> None:
    """Print the database's current schema revision."""
    from catalog.schema_setup import current, head

    click.echo(f"{current(ctx.container.engine) or '(empty)'} (head: {head()})")


# -- serving and the demo -----------------------------------------------------------------------


def _serve(container: Container, host: str, port: int) -> None:
    from web import create_app

    app = create_app(container=container)
    click.echo(f"Mulu is running at http://{host}:{port}/ (Ctrl+C stops it)")
    app.run(host=host, port=port, debug=False, use_reloader=False)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@pass_context
def serve(ctx: Context, host: str, port: int) -> None:
    """Serve the web portal and APIs (a development server; see docs/operations.md for production)."""
    _serve(ctx.container, host, port)


@main.command()
@click.option("--resources", "resource_count", type=click.IntRange(min=0), default=None,
              help="Number of resources (default: the hand-written demo catalog of a few hundred).")
@click.option("--password", default="mulu-demo", show_default=True, help="Password of every demo account.")
@click.option("--no-serve", is_flag=True, help="Build the demo catalog and exit.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@pass_context
def demo(ctx: Context, resource_count: int | None, password: str, no_serve: bool, host: str, port: int) -> None:
    """Build a fresh demo city catalog (淮南市) and serve it.

    Replaces the demo database; refuses to touch anything but SQLite unless MULU_DATABASE_URL points to a
    database whose name contains "demo".
    """
    from catalog.demo.builder import build_demo

    url = ctx.settings.database_url
    if not url.startswith("sqlite") and "demo" not in url.rsplit("/", 1)[-1]:
        raise click.UsageError("mulu demo replaces the whole database; use SQLite or a database named *demo*")
    with reported_errors(ctx):
        with click.progressbar(length=100, label="building the demo catalog", show_pos=False) as bar:
            def progress(fraction: float) -> None:
                bar.update(int(fraction * 100) - bar.pos)

            summary = build_demo(ctx.container, resource_count=resource_count, password=password, progress=progress)
    click.echo(summary.render(ctx.locale))
    if not no_serve:
        _serve(ctx.container, host, port)


@main.group()
def uploads() -> None:
    """Files uploaded to the portal's import page (instance/uploads)."""


@uploads.command("sweep")
@click.option("--older-than", "hours", type=click.FloatRange(min=0), default=None,
              help="Age in hours of the files to delete (default: MULU_UPLOAD_TTL_HOURS).")
@pass_context
def uploads_sweep(ctx: Context, hours: float | None) -> None:
    """Delete uploaded import files whose preview was never confirmed (the portal also does it on upload)."""
    from web.editing import sweep_uploads, upload_dir

    hours = ctx.settings.upload_ttl_hours if hours is None else hours
    removed = sweep_uploads(upload_dir(ctx.settings.instance_path), hours)
    for path in removed:
        click.echo(f"deleted {path.name}")
    click.echo(f"{len(removed)} unconfirmed uploads older than {hours:g} h deleted")


# -- users --------------------------------------------------------------------------------------


def _department_id(session, ref: str | None) -> int | None:
    """Find a department by key, unified social credit code or exact name."""
    if not ref:
        return None
    from sqlalchemy import or_, select

    from catalog.models import Department

    found = session.scalars(
        select(Department).where(or_(Department.key == ref, Department.uscc == ref.upper(), Department.name == ref))
    ).first()
    if found is None:
        raise click.BadParameter(f"no department {ref!r}", param_hint="--department")
    return found.id


@main.group()
def user() -> None:
    """User accounts and roles (officer 编目员, reviewer 部门审核员, manager 目录管理员, auditor 规划审计员, admin)."""


@user.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["officer", "reviewer", "manager", "auditor", "admin"]), required=True)
@click.option("--department", help="Department key, USCC or name (officers and reviewers).")
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--password", help="Password (prompted when omitted).")
@pass_context
def user_create(ctx: Context, username: str, role: str, department: str | None, display_name: str,
                password: str | None) -> None:
    """Create a user account."""
    from catalog.services.user import UserService

    password = password or click.prompt("password", hide_input=True, confirmation_prompt=True)
    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        UserService(ctx.container, session, Actor.system("cli")).create(
            username, password, role, department_id=_department_id(session, department), display_name=display_name
        )
    click.echo(f"user {username} created ({role})")


@user.command("list")
@pass_context
def user_list(ctx: Context) -> None:
    """List user accounts."""
    from catalog.services.user import ROLE_LABELS, UserService

    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        for account in UserService(ctx.container, session, Actor.system("cli")).list():
            department = account.department.name if account.department else "-"
            state = "" if account.is_active else " (inactive)"
            click.echo(f"{account.username:<20} {ROLE_LABELS[account.role].render(ctx.locale):<10} {department}{state}")


@user.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(["officer", "reviewer", "manager", "auditor", "admin"]))
@click.option("--department", help="Department key, USCC or name (officers and reviewers).")
@pass_context
def user_set_role(ctx: Context, username: str, role: str, department: str | None) -> None:
    """Change a user's role (and department)."""
    from catalog.services.user import UserService

    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        UserService(ctx.container, session, Actor.system("cli")).set_role(
            username, role, department_id=_department_id(session, department)
        )
    click.echo(f"{username} is now {role}")


@user.command("set-password")
@click.argument("username")
@click.option("--password", help="The new password (prompted when omitted).")
@pass_context
def user_set_password(ctx: Context, username: str, password: str | None) -> None:
    """Set a user's password."""
    from catalog.services.user import UserService

    password = password or click.prompt("new password", hide_input=True, confirmation_prompt=True)
    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        UserService(ctx.container, session, Actor.system("cli")).set_password(username, password)
    click.echo(f"password of {username} changed")


# -- API tokens ---------------------------------------------------------------------------------


@main.group()
def token() -> None:
    """API tokens (接口令牌) for the REST API: create one for a user (shown once), list and revoke them."""


@token.command("create")
@click.option("--user", "username", required=True, help="The user the token acts as (their role applies).")
@click.option("--name", required=True, help="What the token is for, e.g. 'nightly harvest'.")
@click.option("--expires-in", "days", type=click.IntRange(1, 3650), help="Days until the token expires.")
@click.option("--expires", "last_day", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="The last day the token works (in MULU_TIMEZONE).")
@pass_context
def token_create(ctx: Context, username: str, name: str, days: int | None, last_day) -> None:
    """Create an API token; the token alone goes to stdout, so TOKEN=$(mulu token create …) works."""
    from datetime import UTC, datetime, timedelta

    from catalog.services.token import TokenService
    from catalog.services.user import UserService

    if days is not None and last_day is not None:
        raise click.UsageError("give --expires-in or --expires, not both")
    expires_at = None
    if days is not None:
        expires_at = datetime.now(UTC) + timedelta(days=days)
    elif last_day is not None:
        expires_at = (last_day + timedelta(days=1)).replace(tzinfo=ctx.container.timezone)
    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        user = UserService(ctx.container, session, Actor.system("cli")).get_by_username(username)
        created, plaintext = TokenService(ctx.container, session, Actor.system("cli")).create(
            name, user_id=user.id, expires_at=expires_at)
        until = f"expires {_local(ctx, created.expires_at)}" if created.expires_at else "never expires"
    click.echo(f"token {created.id} ({created.prefix}) created for {username}; {until}", err=True)
    click.echo(plaintext)
    click.echo("Store it now: it is shown only this once (Authorization: Bearer …).", err=True)


@token.command("list")
@click.option("--user", "username", required=True, help="Whose tokens to list.")
@pass_context
def token_list(ctx: Context, username: str) -> None:
    """List a user's API tokens: id, prefix, state, created, expires, last used and name."""
    from catalog.services.token import TokenService
    from catalog.services.user import UserService

    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        user = UserService(ctx.container, session, Actor.system("cli")).get_by_username(username)
        for found in TokenService(ctx.container, session, Actor.system("cli")).list(user.id):
            when = [_local(ctx, m)[:16] if m else "-" for m in (found.created_at, found.expires_at, found.last_used_at)]
            click.echo(f"{found.id:<5} {found.prefix}  {found.state():<8} {when[0]:<16}  {when[1]:<16}  {when[2]:<16}  "
                       f"{found.name}")


@token.command("revoke")
@click.argument("token_id", metavar="ID", type=int)
@pass_context
def token_revoke(ctx: Context, token_id: int) -> None:
    """Revoke API token ID; it stops working at once."""
    from catalog.services.token import TokenService

    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        revoked = TokenService(ctx.container, session, Actor.system("cli")).revoke(token_id)
        prefix = revoked.prefix
    click.echo(f"token {token_id} ({prefix}) revoked")


# -- departments --------------------------------------------------------------------------------


@main.group()
def department() -> None:
    """Departments (政务部门): the tree of governments, departments, organs and internal units."""


@department.command("list")
@pass_context
def department_list(ctx: Context) -> None:
    """Print the department tree."""
    from catalog.services.department import DepartmentService

    def show(nodes, depth=0):
        for node in nodes:
            scope = "" if node.get("in_scope", True) else "  (not in scope)"
            click.echo(f"{'  ' * depth}{node['name']}  [{node.get('key')}]  {node.get('uscc') or ''}{scope}")
            show(node.get("children") or [], depth + 1)

    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        show(DepartmentService(ctx.container, session, Actor.system("cli")).tree())


@department.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Import the good rows and report the bad ones.")
@pass_context
def department_import(ctx: Context, path: Path, skip_invalid: bool) -> None:
    """Import departments from a CSV or XLSX file (see `mulu department export` for the columns)."""
    from catalog.services.department import DepartmentService
    from catalog.tabular import read_rows

    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        report = DepartmentService(ctx.container, session, Actor.system("cli")).import_rows(
            read_rows(path), skip_invalid=skip_invalid
        )
    click.echo(report.render(ctx.locale))
    if report.errors:
        sys.exit(1 if not skip_invalid else 0)


@department.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (CSV: stdout).")
@pass_context
def department_export(ctx: Context, fmt: str, output: Path | None) -> None:
    """Export the departments as CSV or XLSX."""
    from catalog.services.department import DepartmentService
    from catalog.tabular import write_rows

    if fmt == "xlsx" and output is None:
        raise click.UsageError("--output is required for xlsx")
    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        headers, rows = DepartmentService(ctx.container, session, Actor.system("cli")).export_rows()
    if output is None:
        write_rows(sys.stdout, headers, rows, format="csv")
    else:
        write_rows(output, headers, rows, format=fmt)
        click.echo(f"{len(rows)} departments written to {output}", err=True)


# -- resources ----------------------------------------------------------------------------------


@main.group()
def resource() -> None:
    """Information resources (信息资源): bulk import and export."""


JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")


def _read_records(path: Path, profile, vocab):
    """Records of a JSON Lines file or of a filled-in template (XLSX/CSV), with their line or row numbers."""
    from catalog.importing import read_jsonl
    from catalog.template import finish_record, rows_to_records, template_columns, template_rows

    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        with path.open(encoding="utf-8-sig") as stream:
            yield from read_jsonl(stream)
        return
    if suffix not in (".xlsx", ".csv"):
        raise click.BadParameter("use a .jsonl, .xlsx or .csv file", param_hint="PATH")
    columns = template_columns(profile)
    for number, record in rows_to_records(template_rows(path, columns), columns):
        yield number, finish_record(record, vocab)


@resource.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Import the good records and report the bad ones.")
@click.option("--as", "as_user", metavar="USERNAME", help="Import as this user (their permissions apply).")
@pass_context
def resource_import(ctx: Context, path: Path, skip_invalid: bool, as_user: str | None) -> None:
    """Import resources from JSON Lines (.jsonl) or the fill-in template (.xlsx, .csv).

    Every record is checked against the whole profile. Without --skip-invalid one bad record means nothing
    is written; the report lists every bad record with its line (JSON Lines) or row number and reasons.

    A record whose metadata_id (or code) is in the catalog updates that resource: a draft or returned one
    in place, a published one as a change awaiting review; a record equal to the stored one is left alone.
    New records become drafts.
    """
    from catalog.importing import ImportRejectedError
    from catalog.services.resource import ResourceService
    from catalog.services.resource_import import import_resources

    container = ctx.container
    # JSON Lines are counted in lines, spreadsheets in rows, as the user's editor shows them.
    lines_of_text = path.suffix.lower() in JSONL_SUFFIXES
    try:
        with container.unit_of_work() as session:
            service = ResourceService(container, session, ctx.actor(session, as_user))
            records = list(_read_records(path, container.profile, container.vocab))
            with click.progressbar(length=len(records), label="importing", file=sys.stderr) as bar:
                report = import_resources(service, records, skip_invalid=skip_invalid,
                                          progress=lambda n: bar.update(n - bar.pos))
    except ImportRejectedError as exc:
        click.echo(exc.report.render(ctx.locale, lines_of_text=lines_of_text), err=True)
        click.echo(exc.message.render(ctx.locale), err=True)
        sys.exit(1)
    except MuluError as exc:
        click.echo(exc.render(ctx.locale), err=True)
        sys.exit(1)
    click.echo(report.render(ctx.locale, lines_of_text=lines_of_text))


@resource.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "xlsx"]), default="jsonl", show_default=True)
@click.option("--status", help="Only resources in this workflow state (e.g. published).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (jsonl: stdout).")
@pass_context
def resource_export(ctx: Context, fmt: str, status: str | None, output: Path | None) -> None:
    """Export resources as JSON Lines (one Resource JSON per line) or as the filled-in XLSX template."""
    from catalog.services.resource import ResourceService
    from catalog.template_workbook import write_workbook
    from catalog.workflow import STATES

    if status and status not in STATES:
        raise click.BadParameter(f"one of {', '.join(STATES)}", param_hint="--status")
    if fmt == "xlsx" and output is None:
        raise click.UsageError("--output is required for xlsx")
    container = ctx.container
    with reported_errors(ctx), container.unit_of_work() as session:
        service = ResourceService(container, session, Actor.system("cli"))
        records = (service.to_json(r) for r in service.list(status=status))
        if fmt == "xlsx":
            count = write_workbook(output, container.profile, container.vocab, records)
            click.echo(f"{count} resources written to {output}", err=True)
            return
        stream = output.open("w", encoding="utf-8") if output else sys.stdout
        try:
            for record in records:
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        finally:
            if output:
                stream.close()


def _local(ctx: Context, moment) -> str:
    """A stored UTC time in the catalog's time zone (SQLite hands back naive datetimes)."""
    from datetime import UTC

    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ctx.container.timezone).strftime("%Y-%m-%d %H:%M:%S")


def _find_resource(service, ref: str):
    """A resource by id, 信息资源代码 or 元数据标识符."""
    return service.get(int(ref)) if ref.isdigit() else service.get_by_code(ref)


@resource.command("show")
@click.argument("ref", metavar="ID|CODE")
@click.option("--as", "as_user", metavar="USERNAME", help="Read as this user (their visibility applies).")
@pass_context
def resource_show(ctx: Context, ref: str, as_user: str | None) -> None:
    """Print one resource as Resource JSON (by id, 信息资源代码 or 元数据标识符)."""
    from catalog.services.resource import ResourceService

    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        service = ResourceService(ctx.container, session, ctx.actor(session, as_user))
        click.echo(json.dumps(service.to_json(_find_resource(service, ref)), ensure_ascii=False, indent=2))


@resource.command("history")
@click.argument("ref", metavar="ID|CODE")
@pass_context
def resource_history(ctx: Context, ref: str) -> None:
    """List a resource's revisions and workflow events (who, when, what, why)."""
    from catalog.services.resource import ResourceService
    from catalog.workflow import STATES

    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        service = ResourceService(ctx.container, session, Actor.system("cli"))
        item = _find_resource(service, ref)
        click.echo(f"{item.title}  {item.code or item.metadata_id}")
        for revision in service.revisions(item.id):
            comment = f"  — {revision.comment}" if revision.comment else ""
            click.echo(f"  r{revision.number:<3} {_local(ctx, revision.created_at)}  {revision.actor_name:<10} "
                       f"{revision.action}{comment}")
        for event in service.workflow_events(item.id):
            before = STATES[event.from_status].render(ctx.locale) if event.from_status in STATES else "-"
            after = STATES[event.to_status].render(ctx.locale)
            comment = f"  — {event.comment}" if event.comment else ""
            click.echo(f"  {_local(ctx, event.created_at)}  {event.actor_name:<10} {before} → {after}{comment}")


@resource.command("diff")
@click.argument("ref", metavar="ID|CODE")
@click.argument("old", type=int)
@click.argument("new", type=int)
@pass_context
def resource_diff(ctx: Context, ref: str, old: int, new: int) -> None:
    """Show what changed between revisions OLD and NEW of a resource, field by field."""
    from catalog.services.resource import ResourceService

    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        service = ResourceService(ctx.container, session, Actor.system("cli"))
        changes = service.diff(_find_resource(service, ref).id, old, new)
    if not changes:
        click.echo("(no differences)")
    for change in changes:
        data = change.to_dict(ctx.locale)
        before = json.dumps(data["old"], ensure_ascii=False) if data["old"] is not None else "∅"
        after = json.dumps(data["new"], ensure_ascii=False) if data["new"] is not None else "∅"
        click.echo(f"{data['label']}: {before} → {after}  ({data['kind']})")


@main.command()
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--action", help="Only actions starting with this, e.g. resource.register.")
@click.option("--object", "object_ref", metavar="TYPE[:ID]", help="Only events about e.g. resource or resource:12.")
@pass_context
def audit(ctx: Context, limit: int, action: str | None, object_ref: str | None) -> None:
    """Read the audit log of every write: who, what, when, from which client."""
    from catalog.services.audit import AuditService

    object_type, _, object_id = (object_ref or "").partition(":")
    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        events = AuditService(ctx.container, session, Actor.system("cli")).list(
            limit=limit, action=action, object_type=object_type or None, object_id=object_id or None)
        for event in events:
            detail = json.dumps(event.detail, ensure_ascii=False) if event.detail else ""
            click.echo(f"{_local(ctx, event.created_at)}  {event.actor_name:<10} {event.client:<16} "
                       f"{event.action:<28} {event.object_type}:{event.object_id}  {detail}")


@resource.command("template")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_context
def resource_template(ctx: Context, output: Path) -> None:
    """Write an empty fill-in template (XLSX) with code-list pickers and a 填写说明 sheet."""
    from catalog.template_workbook import write_workbook

    write_workbook(output, ctx.container.profile, ctx.container.vocab)
    click.echo(f"template written to {output}")


# -- the metadata profile and vocabularies ------------------------------------------------------


@main.group()
def schema() -> None:
    """The metadata profile (national core + extensions)."""


@schema.command("show")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True)
@pass_context
def schema_show(ctx: Context, fmt: str) -> None:
    """Print every metadata element with its label, obligation, code list and help."""
    from catalog.profile_markdown import profile_markdown

    profile = ctx.container.profile
    if fmt == "json":
        click.echo(json.dumps(profile.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(profile_markdown(profile, ctx.locale))


@main.group()
def vocab() -> None:
    """Controlled vocabularies (SKOS code lists)."""


@vocab.command("list")
@pass_context
def vocab_list(ctx: Context) -> None:
    """List the vocabularies with their number of concepts."""
    lang = "zh" if ctx.locale == "zh_CN" else "en"
    for scheme in ctx.container.vocab:
        click.echo(f"{scheme.name:<26} {len(scheme):>4}  {scheme.label(lang)}")


@vocab.command("show")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "turtle"]), default="table", show_default=True)
@pass_context
def vocab_show(ctx: Context, name: str, fmt: str) -> None:
    """Show the concepts of vocabulary NAME."""
    from vocab import VocabularyError

    try:
        scheme = ctx.container.vocab.get(name)
    except VocabularyError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from exc
    if fmt == "json":
        click.echo(json.dumps(scheme.to_json(), ensure_ascii=False, indent=2))
    elif fmt == "turtle":
        click.echo(scheme.to_graph().serialize(format="turtle"))
    else:
        for concept in scheme:
            depth = len(scheme.ancestors(concept.code))
            alt = f"  ({'、'.join(concept.alt_labels)})" if concept.alt_labels else ""
            click.echo(f"{'  ' * depth}{concept.code:<8} {concept.label('zh')} / {concept.label('en')}{alt}")


@vocab.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_context
def vocab_import(ctx: Context, path: Path) -> None:
    """Add or replace a vocabulary from a SKOS file (Turtle, or RDF/XML …; kept in the instance folder as Turtle).

    The scheme's URI names it (…/vocab/<name>/); a scheme with a shipped name replaces the shipped one.
    A replacement must still serve the metadata profile: the keys stored resources use, and the codes the
    profile fixes, stay.
    """
    from rdflib import Graph
    from rdflib.util import guess_format

    from vocab import VocabularyError

    current = ctx.container.vocab
    try:
        scheme = current.copy().load_file(path)
    except VocabularyError as exc:
        raise click.ClickException(str(exc)) from exc
    problems = _vocabulary_problems(scheme, current.get(scheme.name) if scheme.name in current else None,
                                    ctx.container.profile)
    if problems:
        raise click.ClickException(f"{path}: the vocabulary {scheme.name} cannot replace the one in use:\n  "
                                   + "\n  ".join(problems))
    target_dir = ctx.container.vocab_dir
    target_dir.mkdir(parents=True, exist_ok=True)
    # The container reads *.ttl files as Turtle: any other syntax is converted, Turtle is kept as written.
    rdf_format = guess_format(path.name) or "turtle"
    if rdf_format == "turtle":
        (target_dir / f"{scheme.name}.ttl").write_bytes(path.read_bytes())
    else:
        Graph().parse(path, format=rdf_format).serialize(target_dir / f"{scheme.name}.ttl", format="turtle")
    click.echo(f"vocabulary {scheme.name} imported ({len(scheme)} concepts); it is used from now on")


def _vocabulary_problems(scheme, previous, profile) -> list[str]:
    """Why a new version of a vocabulary would break the profile's elements that use it (empty if fine)."""
    problems = []
    for path, element in profile.walk():
        if element.vocabulary != scheme.name:
            continue
        if element.key_property:
            missing = [c.code for c in scheme if element.key_property not in c.properties]
            if missing:
                problems.append(f"{path}: concepts {', '.join(missing)} have no {element.key_property} "
                                "(stored values and rules use it)")
            kept = {c.properties.get(element.key_property) for c in scheme}
            dropped = sorted({str(c.properties[element.key_property]) for c in previous or ()
                              if element.key_property in c.properties} - {str(k) for k in kept})
            if dropped:
                problems.append(f"{path}: the {element.key_property} values {', '.join(dropped)} are gone "
                                "(stored resources use them)")
        for code in [*(element.values or ()), *([str(element.default)] if element.default is not None else [])]:
            if scheme.get(code) is None:
                problems.append(f"{path}: the profile needs the code {code}, which the file lacks")
    return list(dict.fromkeys(problems))



# -- search (issue #3) ------------------------------------------------------------------------------


@main.group()
def search() -> None:
    """Search the catalog and maintain the search index (embedded or Elasticsearch, per MULU_SEARCH_BACKEND)."""


def _timestamp(_ctx, _param, value: str | None):
    """Parse ``--since`` (ISO 8601; a time without a zone is in MULU_TIMEZONE)."""
    if value is None:
        return None
    from datetime import datetime
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter("use an ISO 8601 time such as 2026-11-26T08:00 or 2026-11-26") from None
    if moment.tzinfo is None:
        settings = click.get_current_context().find_object(Context).settings
        moment = moment.replace(tzinfo=ZoneInfo(settings.timezone))
    return moment


@search.command("reindex")
@click.option("--since", callback=_timestamp, metavar="TIMESTAMP",
              help="Only resources updated at or after this time (repairs writes made behind the catalog's back).")
@pass_context
def search_reindex(ctx: Context, since) -> None:
    """Rebuild the search index (every resource, or those updated since a time) and print how many were indexed."""
    import inspect

    from catalog.search import get_backend

    backend = get_backend(ctx.container)
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="indexing", file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    # The progress hook is optional in the backend contract; backends without it just take longer silently.
    extra = {"progress": progress} if "progress" in inspect.signature(backend.reindex).parameters else {}
    try:
        with reported_errors(ctx), ctx.container.unit_of_work() as session:
            count = backend.reindex(session, since=since, **extra)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    click.echo(f"{count} resources indexed")


def _filters(values: tuple[str, ...]) -> dict[str, list[str]]:
    """``field=value`` options as search filters (repeated fields are alternatives)."""
    filters: dict[str, list[str]] = {}
    for raw in values:
        name, sep, value = raw.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{raw!r}: use field=value, e.g. department=hn-mzj", param_hint="--filter")
        filters.setdefault(name.strip(), []).append(value.strip())
    return filters


@search.command("query")
@click.argument("text", default="")
@click.option("--filter", "filters", multiple=True, metavar="FIELD=VALUE",
              help="Keep results whose facet FIELD has VALUE (repeatable; one field's values are alternatives).")
@click.option("--facets", "with_facets", is_flag=True, help="Also count every facet over the results.")
@click.option("--sort", default="relevance", show_default=True, help="relevance, updated or title (pinyin order).")
@click.option("--page", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--size", default=20, show_default=True, type=click.IntRange(min=0, max=100))
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.option("--as", "as_user", metavar="USERNAME", help="Search as this user (what they may see).")
@pass_context
def search_query(ctx: Context, text: str, filters: tuple[str, ...], with_facets: bool, sort: str, page: int,
                 size: int, as_json: bool, as_user: str | None) -> None:
    """Search resources for TEXT (Chinese, Latin or pinyin; empty lists everything visible)."""
    from catalog.search import FACETS, SearchQuery, get_backend

    language = "zh" if ctx.locale.startswith("zh") else "en"
    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        actor = ctx.actor(session, as_user)
        query = SearchQuery(text=text, filters=_filters(filters), sort=sort, page=page, size=size,
                            facets=tuple(FACETS) if with_facets else (), highlight=as_json)
        result = get_backend(ctx.container).search(session, query, actor)
    if as_json:
        click.echo(json.dumps({
            "total": result.total, "page": result.page, "size": result.size, "pages": result.pages,
            "hits": [{"id": h.id, "title": h.title, "code": h.code, "status": h.status, "department": h.department,
                      "updated_at": h.updated_at.isoformat() if h.updated_at else None, "score": h.score,
                      "highlights": dict(h.highlights)} for h in result.hits],
            "facets": {name: [{"value": v.value, "count": v.count, "label": v.label(language), "parent": v.parent,
                               "selected": v.selected} for v in values] for name, values in result.facets.items()},
        }, ensure_ascii=False))
        return
    click.echo(f"{result.total} results (page {result.page} of {max(result.pages, 1)})")
    for hit in result.hits:
        click.echo(f"{hit.id:>8}  {hit.code or '-':<16} {hit.title}  [{hit.department}, {hit.status}]")
    for name, values in result.facets.items():
        click.echo(f"\n{FACETS[name].label.render(ctx.locale)} ({name}):")
        for value in values:
            mark = "*" if value.selected else " "
            click.echo(f" {mark}{value.count:>7}  {value.value}  {value.label(language)}")


# -- coverage audit: inventory, coverage, quality, overlap (issue #7) ---------------------------


def _iso_date(_ctx, param, value: str | None):
    """Parse an ISO date option (``--as-of 2010-06-30``)."""
    if value is None:
        return None
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use an ISO date such as 2010-06-30", param=param) from None


def _output_target(fmt: str, output: Path | None):
    if fmt == "xlsx" and output is None:
        raise click.UsageError("--output is required for xlsx")
    return str(output) if output else sys.stdout


@main.group()
def inventory() -> None:
    """The expected inventory (资源清单): what each department should catalog, and the links to resources."""


@inventory.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Import the good rows and report the bad ones.")
@click.option("--as", "as_user", metavar="USERNAME", help="Import as this user (their permissions apply).")
@pass_context
def inventory_import(ctx: Context, path: Path, skip_invalid: bool, as_user: str | None) -> None:
    """Import inventory items from CSV or XLSX (see `mulu inventory export` for the columns)."""
    from catalog.coverage.inventory import InventoryService
    from catalog.importing import ImportRejectedError
    from catalog.tabular import read_rows

    try:
        with ctx.container.unit_of_work() as session:
            service = InventoryService(ctx.container, session, ctx.actor(session, as_user))
            report = service.import_rows(read_rows(path), skip_invalid=skip_invalid)
    except ImportRejectedError as exc:
        click.echo(exc.report.render(ctx.locale), err=True)
        click.echo(exc.message.render(ctx.locale), err=True)
        sys.exit(1)
    except MuluError as exc:
        click.echo(exc.render(ctx.locale), err=True)
        sys.exit(1)
    click.echo(report.render(ctx.locale))


@inventory.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (CSV: stdout).")
@pass_context
def inventory_export(ctx: Context, fmt: str, output: Path | None) -> None:
    """Export the inventory with its confirmed links and pending suggestions."""
    from catalog.coverage.inventory import InventoryService
    from catalog.tabular import write_rows

    target = _output_target(fmt, output)
    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        headers, rows = InventoryService(ctx.container, session, Actor.system("cli")).export_rows()
    write_rows(target, headers, rows, format=fmt)
    if output:
        click.echo(f"{len(rows)} inventory items written to {output}", err=True)


@inventory.command("match")
@click.option("--department", help="Only this department (key, USCC or name).")
@click.option("--min-score", type=click.FloatRange(0, 1), default=None, help="Lowest score worth suggesting.")
@click.option("--as", "as_user", metavar="USERNAME", help="Run as this user (their permissions apply).")
@pass_context
def inventory_match(ctx: Context, department: str | None, min_score: float | None, as_user: str | None) -> None:
    """Suggest the resource that fulfils each unlinked item (stored as suggestions; a person confirms them)."""
    from catalog.coverage.inventory import InventoryService

    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        service = InventoryService(ctx.container, session, ctx.actor(session, as_user))
        suggestions = service.suggest(department_id=_department_id(session, department), min_score=min_score)
    for suggestion in suggestions:
        click.echo(f"{suggestion.score:.2f}  {suggestion.item_title}  →  {suggestion.resource_title}")
    click.echo(f"{len(suggestions)} suggestions stored", err=True)


@main.group()
def coverage() -> None:
    """Coverage of the expected inventory: cataloged, registered and published against the target."""


@coverage.command("report")
@click.option("--as-of", "as_of", callback=_iso_date, help="Figures at the end of this day (default: today).")
@click.option("--by", type=click.Choice(["division", "department"]), default="division", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "xlsx", "json"]), default="table",
              show_default=True)
@click.option("--period", type=click.Choice(["month", "quarter"]), default="month", show_default=True,
              help="Trend periods (json, xlsx).")
@click.option("--window", "window_months", type=click.IntRange(1, 120), default=6, show_default=True,
              help="Months the projection's pace is measured over.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
@click.option("--department", help="Only this department (key, USCC or name), e.g. an officer's own.")
@click.option("--as", "as_user", metavar="USERNAME", help="Report as this user (their permissions apply).")
@pass_context
def coverage_report(ctx: Context, as_of, by: str, fmt: str, period: str, window_months: int, output: Path | None,
                    department: str | None, as_user: str | None) -> None:
    """Coverage city-wide, per county/district or per department, as of any date."""
    from catalog.coverage.export import write_report
    from catalog.coverage.service import CoverageService

    target = _output_target(fmt, output)
    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        report = CoverageService(ctx.container, session, ctx.actor(session, as_user)).report(
            as_of, department_id=_department_id(session, department), period=period, window_months=window_months,
            trend=fmt in ("json", "xlsx"))
    write_report(report, fmt, target, by=by, locale=ctx.locale)
    if output:
        click.echo(f"coverage report written to {output}", err=True)


@coverage.command("snapshot")
@click.option("--as-of", "as_of", callback=_iso_date, help="Figures at the end of this day (default: today).")
@pass_context
def coverage_snapshot(ctx: Context, as_of) -> None:
    """Store the figures as reported today (run monthly from cron)."""
    from catalog.coverage.service import CoverageService

    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        snapshot = CoverageService(ctx.container, session, Actor.system("cli")).snapshot(as_of)
        city = snapshot.figures["city"]
    click.echo(f"snapshot {snapshot.id} as of {snapshot.as_of.isoformat()}: {city['published']} of {city['expected']} "
               f"expected resources published")


@main.group()
def quality() -> None:
    """Metadata quality scores (0–100) per resource and department."""


@quality.command("report")
@click.option("--by", type=click.Choice(["department", "resource"]), default="department", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "xlsx", "json"]), default="table",
              show_default=True)
@click.option("--include-drafts", is_flag=True, help="Score drafts too.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
@pass_context
def quality_report(ctx: Context, by: str, fmt: str, include_drafts: bool, output: Path | None) -> None:
    """Score the catalog's metadata against the profile, rules, code lists, update cycles and link checks."""
    from catalog.coverage.analysis_export import write_quality
    from catalog.coverage.quality_service import QualityService

    target = _output_target(fmt, output)
    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        report = QualityService(ctx.container, session, Actor.system("cli")).report(include_drafts=include_drafts)
    write_quality(report, fmt, target, by=by, locale=ctx.locale)


@main.group()
def overlap() -> None:
    """Data several departments collect, and the basic libraries' fields (一数一源)."""


@overlap.command("report")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "xlsx"]), default="table", show_default=True)
@click.option("--min-departments", type=click.IntRange(min=2), default=2, show_default=True,
              help="List information items collected by at least this many departments.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
@pass_context
def overlap_report(ctx: Context, fmt: str, min_departments: int, output: Path | None) -> None:
    """Resources and items that several departments collect; who provides each basic-library field."""
    from catalog.coverage.analysis_export import write_overlap
    from catalog.coverage.overlap_service import OverlapService

    target = _output_target(fmt, output)
    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        report = OverlapService(ctx.container, session, Actor.system("cli")).report(min_departments=min_departments)
    write_overlap(report, fmt, target, locale=ctx.locale)


@main.group()
def links() -> None:
    """Link health of the distributions' URLs (access and download links), read by the quality score."""


@links.command("check")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True, help="URLs checked at once.")
@click.option("--per-host", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Requests to one host at once (a department's server is not to be flooded).")
@click.option("--connect-timeout", type=click.FloatRange(0.1, 120), default=5.0, show_default=True, help="Seconds.")
@click.option("--timeout", "read_timeout", type=click.FloatRange(0.1, 600), default=15.0, show_default=True,
              help="Seconds to wait for an answer.")
@click.option("--retries", type=click.IntRange(0, 10), default=2, show_default=True,
              help="Further attempts after a timeout, a refused connection, 429 or 5xx.")
@click.option("--backoff", type=click.FloatRange(0, 60), default=1.0, show_default=True,
              help="Seconds before the first retry, doubled for each further one.")
@click.option("--department", help="Only this department's links (key, USCC or name).")
@click.option("--include-drafts", is_flag=True, help="Check drafts' links too.")
@click.option("--limit", type=click.IntRange(min=1), help="Check at most this many URLs (never checked first).")
@click.option("-v", "--verbose", is_flag=True, help="List every URL, not only the failed and skipped ones.")
@pass_context
def links_check(ctx: Context, concurrency: int, per_host: int, connect_timeout: float, read_timeout: float,
                retries: int, backoff: float, department: str | None, include_drafts: bool, limit: int | None,
                verbose: bool) -> None:
    """Check every distribution URL (HEAD, then GET); a link is broken after 3 failed runs in a row."""
    from catalog.coverage.links import BROKEN_AFTER, LinkCheckService
    from harvesters.http import HttpPolicy
    from harvesters.links import LinkChecker, LinkPolicy

    system = Actor.system("cli")
    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        urls = LinkCheckService(ctx.container, session, system).urls(
            department_id=_department_id(session, department), include_drafts=include_drafts)
    urls = urls[:limit] if limit else urls
    checker = LinkChecker(LinkPolicy(concurrency=concurrency, per_host=per_host, connect_timeout=connect_timeout,
                                     read_timeout=read_timeout, retries=retries, backoff=backoff),
                          HttpPolicy.from_settings(ctx.settings), clock=ctx.container.clock)
    started = ctx.container.now()
    click.echo(f"checking {len(urls)} URLs, {concurrency} at a time", err=True)

    def show(outcome) -> None:
        mark = "skip" if outcome.skipped else "ok" if outcome.ok else "FAIL"
        if verbose or not outcome.ok:
            status = outcome.status_code or outcome.reason or ""
            click.echo(f"{mark:<4}  {status!s:<18} {outcome.url}")

    outcomes = checker.check_all(urls, progress=show)
    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        run = LinkCheckService(ctx.container, session, system).record(outcomes, started_at=started)
        counts = (run.id, run.checked, run.ok, run.failed, run.newly_broken, run.skipped)
    click.echo("run {}: {} checked, {} answered, {} failed ({} now broken after {} failed runs in a row), "
               "{} skipped".format(*counts[:5], BROKEN_AFTER, counts[5]))


@links.command("show")
@click.option("--broken", "broken_only", is_flag=True, help="Only links counted as broken.")
@click.option("--failing", "failing_only", is_flag=True, help="Only links whose last check failed.")
@pass_context
def links_show(ctx: Context, broken_only: bool, failing_only: bool) -> None:
    """List the checked URLs: consecutive failures, last status, when last checked."""
    from catalog.coverage.links import LinkCheckService

    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        rows = LinkCheckService(ctx.container, session, Actor.system("cli")).links(
            broken_only=broken_only, failing_only=failing_only)
        for row in rows:
            state = "broken" if row.broken else "failing" if row.failures else "ok"
            click.echo(f"{state:<8} {row.failures:>2}  {row.status_code or '-':>4}  {_local(ctx, row.checked_at)}  "
                       f"{row.url}")
    click.echo(f"{len(rows)} links", err=True)


# -- harvesting (issue #6) -----------------------------------------------------------------------


@main.group()
def harvest() -> None:
    """Harvesting (采集): pull resource descriptors from department systems (CKAN, DCAT, spreadsheets)."""


@harvest.group("source")
def harvest_source() -> None:
    """Harvest sources (采集源): a remote catalog of one department."""


def _defaults(pairs: tuple[str, ...], classification: str) -> dict:
    """``--default share.type=无条件共享`` options as nested resource input."""
    defaults: dict = {"classification_code": classification}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r}: write FIELD=VALUE", param_hint="--default")
        group, _, sub = key.strip().partition(".")
        if sub:
            defaults.setdefault(group, {})[sub] = value
        else:
            defaults[group] = value
    return defaults


def _json_option(value: str, hint: str):
    """The JSON of an option's value, or of the file named after ``@``."""
    text = value
    if value.startswith("@"):
        try:
            text = Path(value[1:]).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise click.BadParameter(f"cannot read {value[1:]}: {exc}", param_hint=hint) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint=hint) from None


@harvest_source.command("add")
@click.argument("name")
@click.option("--type", "type_", required=True, help="Harvester: ckan, dcat, csw, spreadsheet (or a plugin's).")
@click.option("--url", required=True, help="The remote catalog (CKAN site, DCAT document, CSW endpoint, spreadsheet file).")
@click.option("--department", required=True, help="The providing department: key, USCC, id or name.")
@click.option("--classification", required=True, help="Default 信息资源分类, e.g. 307 (类+项).")
@click.option("--title", default="", help="A title for people.")
@click.option("--schedule", type=click.Choice(["manual", "hourly", "daily", "weekly"]), default="manual", show_default=True)
@click.option("--config", "config_json", help='Harvester settings as JSON, e.g. \'{"organization": "env"}\', '
                                               "or @FILE to read them from a JSON file.")
@click.option("--columns", "columns_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="spreadsheet: a column mapping file ({\"标题\": \"title\", …}, as the Chinese portal crawls' "
                   "mapping files), the same as config's columns.")
@click.option("--default", "defaults", multiple=True, metavar="FIELD=VALUE",
              help="A value for what the remote lacks, e.g. share.type=无条件共享 (repeatable).")
@click.option("--trusted", is_flag=True, help="Register complete records at once instead of leaving drafts.")
@click.option("--withdraw-after-days", type=click.IntRange(0, 3650),
              help="Grace period before records gone upstream are withdrawn "
                   "[default: MULU_HARVEST_WITHDRAW_AFTER_DAYS, 7].")
@click.option("--as", "as_user", metavar="USERNAME", help="Act as this user (their permissions apply).")
@pass_context
def harvest_source_add(ctx: Context, name: str, type_: str, url: str, department: str, classification: str, title: str,
                       schedule: str, config_json: str | None, columns_file: Path | None, defaults: tuple[str, ...],
                       trusted: bool, withdraw_after_days: int, as_user: str | None) -> None:
    """Register a harvest source. Credentials are given as env:NAME references, never as values."""
    from harvesters.services import HarvestSourceService

    config = _json_option(config_json, "--config") if config_json else {}
    if not isinstance(config, dict):
        raise click.BadParameter("give a JSON object", param_hint="--config")
    if columns_file is not None:
        config["columns"] = _json_option(f"@{columns_file}", "--columns")
    data = {"name": name, "type": type_, "url": url, "department": department, "title": title, "schedule": schedule,
            "config": config, "defaults": _defaults(defaults, classification), "trusted": trusted}
    if withdraw_after_days is not None:
        data["withdraw_after_days"] = withdraw_after_days
    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        source = HarvestSourceService(ctx.container, session, ctx.actor(session, as_user)).create(data)
        click.echo(f"harvest source {source.name} ({source.type}) added for {source.department.name}")


@harvest_source.command("list")
@pass_context
def harvest_source_list(ctx: Context) -> None:
    """List the harvest sources."""
    from harvesters.services import HarvestSourceService

    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        for source in HarvestSourceService(ctx.container, session, Actor.system("cli")).list():
            state = "" if source.active else " (inactive)"
            click.echo(f"{source.name}\t{source.type}\t{source.schedule}\t{source.department.name}\t{source.url}{state}")


@harvest_source.command("show")
@click.argument("source")
@pass_context
def harvest_source_show(ctx: Context, source: str) -> None:
    """Show a source's settings (credentials only as their env:NAME reference) and its latest jobs."""
    from harvesters.report import job_lines
    from harvesters.services import HarvestSourceService

    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        service = HarvestSourceService(ctx.container, session, Actor.system("cli"))
        click.echo(json.dumps(service.to_json(service.get(source)), ensure_ascii=False, indent=2))
        for job in service.jobs(source, limit=5):
            click.echo("\n".join(job_lines(job, ctx.locale)))


@harvest.command("run")
@click.argument("source")
@click.option("--dry-run", is_flag=True, help="Fetch, map and validate everything; write nothing.")
@click.option("--max-items", type=click.IntRange(min=1), help="Stop after this many records.")
@pass_context
def harvest_run(ctx: Context, source: str, dry_run: bool, max_items: int | None) -> None:
    """Harvest one source now, with a progress bar; exit status 1 when the job failed."""
    from harvesters.report import job_lines, outcome_lines
    from harvesters.runner import run_source
    from harvesters.services import HarvestSourceService

    session = ctx.container.session_factory()
    bar = click.progressbar(length=1, label=f"harvesting {source}", file=sys.stderr, show_pos=True)

    def progress(done: int, total: int | None) -> None:
        bar.length = max(total or 0, done, 1)
        bar.update(done - bar.pos)

    try:
        with reported_errors(ctx), bar:
            found = HarvestSourceService(ctx.container, session, Actor.system("cli")).get(source)
            result = run_source(ctx.container, session, found, dry_run=dry_run, max_items=max_items, progress=progress,
                                client="cli")
    finally:
        session.rollback()
        session.close()
    click.echo("\n".join(job_lines(result.job, ctx.locale) + outcome_lines(result.outcomes, ctx.locale)))
    if dry_run:
        click.echo("dry run: nothing was written")
    if result.job.status in ("failed", "timed_out"):
        sys.exit(1)


@harvest.command("run-due")
@pass_context
def harvest_run_due(ctx: Context) -> None:
    """End stuck jobs, then harvest every source whose schedule is due (run it from cron)."""
    from harvesters.report import job_lines
    from harvesters.runner import run_due

    for result in run_due(ctx.container):
        click.echo(f"{result.job.source.name}: " + "\n".join(job_lines(result.job, ctx.locale)))


@harvest.command("jobs")
@click.argument("source", required=False)
@click.option("--job", "job_id", type=int, help="Show the per-record report of this job.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@pass_context
def harvest_jobs(ctx: Context, source: str | None, job_id: int | None, limit: int) -> None:
    """List the latest harvest jobs (of one source), or one job's per-record report."""
    from harvesters.report import job_lines, record_lines
    from harvesters.services import HarvestSourceService

    with reported_errors(ctx), ctx.container.unit_of_work() as session:
        service = HarvestSourceService(ctx.container, session, Actor.system("cli"))
        if job_id is not None:
            click.echo("\n".join(record_lines(service.records(job_id), ctx.locale)) or "no records to report")
            return
        for job in service.jobs(source, limit=limit):
            click.echo(f"{job.source.name}: " + "\n".join(job_lines(job, ctx.locale)))


@harvest.command("worker")
@click.option("--interval", type=click.FloatRange(1, 86400), default=60, show_default=True,
              help="Seconds between looks for due sources.")
@click.option("--once", is_flag=True, help="Look once, run what is due, and stop.")
@pass_context
def harvest_worker(ctx: Context, interval: float, once: bool) -> None:
    """Run due harvest jobs in a loop; with MULU_REDIS_URL, share them with other workers through RQ."""
    from harvesters.report import job_lines
    from harvesters.worker import redis_url, run_worker

    url = redis_url(ctx.settings)

    def report(done: list) -> None:
        for item in done:
            if isinstance(item, int):
                click.echo(f"queued source {item}")
            else:
                click.echo(f"{item.job.source.name}: " + "\n".join(job_lines(item.job, ctx.locale)))

    click.echo(f"harvest worker: {'RQ queue on Redis' if url else 'in process'}, every {interval:g} s", err=True)
    try:
        run_worker(ctx.container, redis=url, interval=interval, once=once, on_tick=report)
    except KeyboardInterrupt:
        click.echo("harvest worker stopped", err=True)

if __name__ == "__main__":
    main()
