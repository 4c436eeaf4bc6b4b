"""`ing2gw migrate`: migrate a whole GitOps repository (plain folders, Kustomize, Helm, Argo CD, Flux)."""

from __future__ import annotations

import dataclasses
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click

from ing2gw.batch.plan import MigrateOptions, Plan, describe_sources, platform_dir_of, plan_migration
from ing2gw.batch.journal import finishes, journal, split_journal, with_journal
from ing2gw.batch.summary import MARKER, render_migration
from ing2gw.batch.write import apply_changes, unified_diff, write_out_dir
from ing2gw.cli.convert import (build_fail_on, build_options, print_findings, report_options, report_target,
                                translation_options)
from ing2gw.cli.color import color_allowed
from ing2gw.cli.progress import progress_bar, want_progress
from ing2gw.errors import UsageError
from ing2gw.findings import FAIL_ON_CHOICES, Finding, exit_code
from ing2gw.fsutil import atomic_write_bytes, unsafe_path

@click.command()
@click.argument("repo", type=click.Path(file_okay=False, dir_okay=True, path_type=Path))
@click.option("--in-place", is_flag=True, help="Edit the repository itself (new files beside the Ingresses).")
@click.option("--out-dir", type=click.Path(path_type=Path), default=None, metavar="DIR",
              help="Write copies of the changed and new files under DIR, mirroring the repository; the "
                   "repository is not changed.")
@click.option("--dry-run", is_flag=True, help="Print the change as a unified diff on stdout; write nothing.")
@click.option("--remove-ingress", is_flag=True,
              help="Also remove the migrated Ingress documents (never those an overlay patches, or whose "
                   "translation has errors); a file left empty is deleted and dropped from kustomizations.")
@click.option("--platform-dir", default=None, metavar="PATH",
              help="Folder for the platform's Gateways, inside the repository (a relative path is relative "
                   "to REPO).  [default: platform/gateway-api]")
@click.option("--migration-file", type=click.Path(path_type=Path), default=None, metavar="FILE",
              help="Where to write MIGRATION.md, the pull-request description (with --in-place, only when "
                   "something changes).  [default: REPO/MIGRATION.md, or DIR/MIGRATION.md with --out-dir]")
@click.option("--verify", "run_verify", is_flag=True,
              help="Run the traffic-equivalence check on the translation (results in MIGRATION.md and the "
                   "report). Exit 1 if a difference is unexplained.")
@click.option("--force", is_flag=True,
              help="Write into a non-empty --out-dir, or replace a MIGRATION.md, that ing2gw did not write.")
@translation_options
@report_options
@click.option("--fail-on", type=click.Choice(FAIL_ON_CHOICES), default="error", show_default=True,
              help="Exit 1 when a finding has at least this severity.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar on stderr (default: when stderr is a terminal).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and the final line on stderr.")
@click.option("-v", "--verbose", is_flag=True, help="Also list info findings, and suggestions.")
def migrate(repo: Path, in_place: bool, out_dir: Path | None, dry_run: bool, remove_ingress: bool,
            platform_dir: str | None, report_file: str | None, report_format: str | None, no_color: bool,
            migration_file: Path | None, run_verify: bool, force: bool, fail_on: str, progress: bool | None,
            quiet: bool, verbose: bool, **kw: Any) -> int:
    """Migrate every Ingress of a GitOps repository to Gateway API, as a reviewable change.

    Reads every .yaml/.yml/.json under REPO (not .git, hidden or vendored folders), translates
    all Ingresses together, and writes each file's routes beside it (ingress.yaml ->
    ingress.gateway.yaml) and the Gateways to --platform-dir. Kustomizations that list an
    Ingress file get the new file in resources:. Overlays that patch an Ingress, and Helm
    charts, are reported with how to convert them. Every other byte of every file stays as it
    was; each file is written atomically; a second run changes nothing. MIGRATION.md describes
    the change for the pull request.

    \b
    Examples:
      ing2gw migrate . --dry-run                      # the change as a diff
      ing2gw migrate . --in-place --verify            # edit the repository, check equivalence
      ing2gw migrate . --out-dir /tmp/migrated        # copies of the changed files only
      ing2gw migrate . --in-place --remove-ingress    # after cut-over: drop the Ingresses

    \b
    Exit codes: 0 success; 1 findings at or above --fail-on (or an unexplained difference with
    --verify); 2 bad input or usage.
    """
    if in_place and out_dir is not None:
        raise UsageError("--in-place and --out-dir exclude each other: edit the repository, or write copies")
    if not (in_place or out_dir is not None or dry_run):
        raise UsageError("say where the result goes: --in-place (edit REPO), --out-dir DIR (copies), or --dry-run "
                         "(show the diff)")
    if not repo.is_dir():
        raise UsageError(f"{repo} is not a directory; pass the repository's folder")
    if out_dir is not None and out_dir.resolve() == repo.resolve():
        raise UsageError("--out-dir is the repository itself; use --in-place to edit it")
    options = build_options(kw)
    fail_on = build_fail_on(kw, fail_on)
    report_fmt, _ = report_target(report_file, report_format, None, stdout_free=not dry_run)
    exclude = (out_dir,) if out_dir is not None else ()
    mopts = MigrateOptions(translation=options, remove_ingress=remove_ingress,
                           platform_dir=platform_dir_of(repo, platform_dir), exclude=exclude)
    with ExitStack() as stack:
        callback = progress_bar(stack, color_allowed(no_color, sys.stderr), force=progress is True) \
            if want_progress(progress, quiet, sys.stderr) else None
        plan = plan_migration(repo, mopts, progress=callback)
        verified = None
        if run_verify and plan.result is not None:
            from ing2gw.equivalence.verification import verify_translation

            if callback:
                callback("verify", 0, 0)
            verified = verify_translation(plan.result, plan.manifests, options)
            if callback:
                callback("verify", 1, 1)
        command = _command(repo, in_place, out_dir, dry_run, remove_ingress, platform_dir, run_verify)
        migration_md = render_migration(plan, verified, command=command).encode()
        if dry_run:
            sys.stdout.write(unified_diff(plan.changes))
        elif in_place:
            md_path = migration_file or repo / "MIGRATION.md"
            if migration_file is None and unsafe_path(repo, "MIGRATION.md"):
                raise UsageError(f"not writing MIGRATION.md: {unsafe_path(repo, 'MIGRATION.md')}; nothing was written")
            description, entries = migration_md.decode(), journal(plan.changes)
            earlier, earlier_entries = _unfinished(md_path)
            if earlier_entries is not None and finishes(earlier_entries, plan.changes, repo):
                # an earlier run of this migration stopped part-way: this run finishes it, and
                # the pull request is still that whole migration
                description, entries = earlier, earlier_entries
            elif plan.changes and not force:
                _check_ours(md_path)
            total = len(plan.changes)
            done = [0]

            def on_change(_: Any) -> None:
                done[0] += 1
                if callback:
                    callback("write", done[0], total)

            if plan.changes or earlier_entries is not None:
                # first the description with the list of files this run writes, so that a run
                # stopped part-way can be told from a new migration
                atomic_write_bytes(md_path, with_journal(description, entries).encode())
            apply_changes(repo, plan.changes, on_change=on_change)
            if plan.changes or earlier_entries is not None:
                atomic_write_bytes(md_path, description.encode())
        else:
            assert out_dir is not None
            extra = {}
            if migration_file is None:
                extra["MIGRATION.md"] = migration_md
            for warning in write_out_dir(out_dir, plan.changes, extra, force=force).warnings:
                click.echo(f"ing2gw: warning: {warning}", err=True)
            if migration_file is not None:
                if not force:
                    _check_ours(migration_file)
                atomic_write_bytes(migration_file, migration_md)
    findings = _exit_findings(plan, verified)
    if report_file and not dry_run:
        _report(plan, verified, findings, report_file, report_fmt, no_color, options)
    _summary(plan, in_place, out_dir, dry_run, migration_file, quiet)
    if not quiet:
        print_findings(findings, verbose, color_allowed(no_color, sys.stderr))
    if verified is not None:
        click.echo(f"ing2gw: equivalence: {verified.probes} probes, {verified.equivalent} equivalent, "
                   f"{verified.explained} explained, {verified.unexplained} unexplained"
                   + (f", {verified.unverified} unverified" if verified.unverified else ""), err=True)
    return exit_code(findings, fail_on)


def _unfinished(path: Path) -> tuple[str, dict[str, str] | None]:
    """The description and the journal of a MIGRATION.md that a stopped run left (ing2gw's own
    only), else ("", None)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return "", None
    if not text.startswith(MARKER):
        return "", None
    return split_journal(text)


def _check_ours(path: Path) -> None:
    """Refuse to replace a MIGRATION.md that ing2gw did not write."""
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            first = fh.readline()
    except FileNotFoundError:
        return
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory; pass a file name to --migration-file") from None
    if not first.startswith(MARKER):
        raise UsageError(f"{path} exists and was not written by ing2gw; pass --migration-file FILE to write the "
                         "description elsewhere, or --force to replace it")


def _command(repo: Path, in_place: bool, out_dir: Path | None, dry_run: bool, remove: bool,
             platform_dir: str | None, verify: bool) -> str:
    parts = ["ing2gw migrate", str(repo)]
    if in_place:
        parts.append("--in-place")
    if out_dir is not None:
        parts += ["--out-dir", str(out_dir)]
    if dry_run:
        parts.append("--dry-run")
    if remove:
        parts.append("--remove-ingress")
    if platform_dir:
        parts += ["--platform-dir", platform_dir]
    if verify:
        parts.append("--verify")
    return " ".join(parts)


def _exit_findings(plan: Plan, verified: Any) -> list[Finding]:
    """The findings the exit code comes from: the plan's, and an error for an unexplained
    difference of the equivalence check."""
    from ing2gw.report import unexplained_findings

    return [*plan.findings, *unexplained_findings(verified)]


def _report(plan: Plan, verified: Any, findings: list[Finding], path: str, fmt: str, no_color: bool,
            options: Any) -> None:
    from ing2gw.report import build_report, render, write_report
    from ing2gw.translate import translate

    result = plan.result if plan.result is not None else translate([], options)
    report = build_report(dataclasses.replace(result, findings=plan.findings), verified,
                          title=f"ing2gw migrate: {plan.root}")
    if path == "-":
        sys.stdout.write(render(report, fmt, color=fmt == "text" and color_allowed(no_color, sys.stdout)))
    else:
        write_report(path, report, fmt)


def _summary(plan: Plan, in_place: bool, out_dir: Path | None, dry_run: bool, migration_file: Path | None,
             quiet: bool) -> None:
    def echo(s: str) -> None:
        click.echo(s, err=True)

    if not quiet and plan.namespaces:
        rows = [("namespace", "ingresses", "routes", "other", "files")]
        for n in plan.namespaces:
            rows.append((n.namespace, str(n.ingresses), str(n.routes), str(n.other), ", ".join(n.files) or "-"))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        for r in rows:
            echo("  ".join([r[0].ljust(widths[0])] + [r[i].rjust(widths[i]) for i in range(1, 4)] + [r[4]]))
    created = sum(1 for c in plan.changes if c.action == "create")
    modified = sum(1 for c in plan.changes if c.action == "modify")
    deleted = sum(1 for c in plan.changes if c.action == "delete")
    what = f"{created} file(s) to add, {modified} to change, {deleted} to delete"
    found = f"{describe_sources(plan.ingresses)} in {plan.files_scanned} file(s)"
    if not plan.changes:
        echo(f"ing2gw: {found}; nothing to change: the repository is already migrated")
    elif dry_run:
        echo(f"ing2gw: {found}; dry run: {what} (nothing written)")
    elif in_place:
        md = migration_file or plan.root / "MIGRATION.md"
        echo(f"ing2gw: {found}; added {created}, changed {modified}, deleted {deleted} file(s); {md} describes "
             "the change (use it as the pull request description)")
    else:
        gone = f" ({deleted} file(s) to delete are listed in MIGRATION.md)" if deleted else ""
        echo(f"ing2gw: {found}; wrote {created + modified} file(s) under {out_dir}/{gone}")
