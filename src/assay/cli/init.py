"""`assay init`: scaffold a model repository that passes `assay check` at once, never overwriting a file."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import click

from assay import __version__
from assay.cli.errors import UserError
from assay.scaffold import EXAMPLE_MODEL, ScaffoldError, scaffold_files


@dataclass
class InitResult:
    created: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


@click.command("init")
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=True, path_type=Path), metavar="[DIR]")
def init_command(directory: Path) -> int:
    """Scaffold a model repository in DIR (default: the current folder).

    The new repository passes `assay check` at once and holds:

    \b
      assay.yaml                    specs under models/, judged by origin/main
      models/marketing-propensity/  an example spec with its training and out-of-time data
      policies/                     the default US-bank policy library, an empty waivers file
      keys/trust.yaml               the trust root: no keys yet, and how to add them
      .github/workflows/            pull-request check and plan comment, training after
                                    merge, nightly verification, promotion behind an
                                    environment approval
      .github/CODEOWNERS            who must review policies/, keys/ and models/
      .gitignore, README.md         .assay/ (local runs and artifacts) stays out of git

    An existing file is never overwritten: in a folder that already has files, each
    one assay would write is kept as it is and listed as skipped, and the rest are
    added. The workflows install assay at this version (assay==VERSION).

    \b
    Then:
      cd DIR && git init -b main && git add -A && git commit -m "assay init"
      assay check && assay plan
      assay keygen --role runner --principal assay-bot@yourbank.com \\
          --out ~/assay-keys/runner.pem --add-to-trust   # CI's key: the ASSAY_RUNNER_KEY secret
      assay keygen --help                                # validators' keys, roles, validity

    assay's guide docs/adopting.md goes on from there: branch protection,
    CODEOWNERS, the bot's key as a secret, validators' approvals, auditors.

    \b
    Exit codes: 0 done (also when files were skipped), 2 DIR is a file or cannot be written.
    """
    root = directory.expanduser()
    if root.exists() and not root.is_dir():
        raise UserError(f"{directory} is a file; assay init needs a folder (new or existing)")
    try:
        files = scaffold_files(__version__)
    except ScaffoldError as error:
        raise UserError(str(error)) from error
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"{directory} cannot be created: {error.strerror}") from error
    result = InitResult()
    for path, content in files.items():
        reason = _write_new(root, path, content)
        if reason:
            result.skipped.append((path, reason))
        else:
            result.created.append(path)
    _report(directory, result)
    return 0


def _write_new(root: Path, path: str, content: bytes) -> str:
    """Write `content` to root/path unless something is in the way; the reason it was skipped, or ''."""
    resolved_root = root.resolve()
    target = root / path
    parent = root
    for part in Path(path).parts[:-1]:
        parent = parent / part
        if parent.is_symlink() and not parent.resolve().is_relative_to(resolved_root):
            return f"{parent.relative_to(root).as_posix()} is a link that leads outside {root}"
        if parent.exists() and not parent.is_dir():
            return f"{parent.relative_to(root).as_posix()} is a file, not a folder"
    if os.path.lexists(target):
        return "exists, kept as it is"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return "exists, kept as it is"
    except OSError as error:
        return f"cannot be created: {error.strerror}"
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
    except OSError as error:
        with contextlib.suppress(OSError):
            target.unlink()
        return f"cannot be written: {error.strerror}"
    return ""


def _report(directory: Path, result: InitResult) -> None:
    for path in result.created:
        click.echo(f"  created  {path}")
    for path, reason in result.skipped:
        click.echo(f"  skipped  {path} ({reason})")
    click.echo(f"assay init: {len(result.created)} file(s) created, {len(result.skipped)} skipped in {directory}")
    if any(path == ".gitignore" for path, _ in result.skipped):
        gitignore = directory / ".gitignore"
        lines = gitignore.read_text(errors="replace").splitlines() if gitignore.is_file() else []
        if not any(line.strip().strip("/") == ".assay" for line in lines):
            click.echo("note: add .assay/ to your .gitignore (local runs and artifacts do not belong in git)")
    if any(path == "assay.yaml" for path, _ in result.skipped):
        click.echo("note: your assay.yaml was kept; it decides where assay looks for specs and policies")
    click.echo(
        "next:\n"
        f"  cd {directory} && git init -b main && git add -A && git commit -m 'assay init'\n"
        f"  assay check && assay plan {EXAMPLE_MODEL}\n"
        "  assay keygen --role runner --principal assay-bot@yourbank.com --out ~/assay-keys/runner.pem --add-to-trust\n"
        "  then protect the repository: branch protection, CODEOWNERS, the ASSAY_RUNNER_KEY secret (assay's guide: docs/adopting.md)"
    )
