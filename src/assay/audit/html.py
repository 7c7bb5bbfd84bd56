"""A Timeline as one self-contained HTML file: inline CSS and SVG, no script, nothing fetched at view time.

Rendered by Jinja2 with autoescaping on and StrictUndefined, so every value from a
spec, a commit message or a record is text, never markup (a description holding
`<script>` shows as those characters). A Content-Security-Policy forbids scripts and
any network request. Links to evidence files are relative to where the report is
written; links to commits go to the report's own commit table, or to `commit_url`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import jinja2

from assay import __version__
from assay.audit.charts import audit_charts
from assay.audit.model import Timeline
from assay.audit.render import entry_lines
from assay.audit.timeline import status_counts
from assay.load.git_history import CommitInfo


@dataclass(frozen=True)
class Links:
    """Where the report's links point: evidence relative to the report's folder; commits to an anchor or a URL template."""

    prefix: str = ""
    commit_url: str | None = None

    def evidence(self, path: str) -> str:
        return self.prefix + path

    def commit(self, sha: str) -> str:
        return self.commit_url.replace("{sha}", sha) if self.commit_url else f"#commit-{sha}"

    @staticmethod
    def for_output(root: Path, output: Path | None, commit_url: str | None = None) -> Links:
        """Links from a report written to `output` (None: the repository root) to files of the repository at `root`."""
        if output is None:
            return Links("", commit_url)
        relative = os.path.relpath(root.resolve(), output.resolve().parent)
        return Links("" if relative == "." else Path(relative).as_posix() + "/", commit_url)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("assay.audit", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def timeline_html(timeline: Timeline, links: Links | None = None) -> str:
    """The report as one HTML document."""
    commits: dict[str, CommitInfo] = {}
    for entry in timeline.entries:
        if entry.commit is not None:
            commits.setdefault(entry.commit.sha, entry.commit)
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            t=timeline,
            inv=timeline.inventory,
            counts=status_counts(timeline.entries),
            charts=audit_charts(timeline.entries, timeline.limits),
            commits=list(commits.values()),
            lines=entry_lines,
            links=links or Links(),
            version=__version__,
        )
    )
