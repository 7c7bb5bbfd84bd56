"""The HTML report: one self-contained file, escaped, that renders in real headless Chromium with its charts."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from support import AUDIT_SCRIPT, AuditedHistory, chromium_binary, chromium_render, run_assay_process
from support import AUDITED_MODEL as MODEL


def write_report(root: Path, out: Path, *extra: str) -> str:
    done = run_assay_process("audit", MODEL, "--format", "html", "--out", str(out), *extra, cwd=root)
    assert done.returncode == 1, done.stderr  # the history holds a tampered record
    assert "Traceback" not in done.stderr
    return out.read_text()


def test_report_is_self_contained_and_escapes_what_it_shows(history: AuditedHistory, tmp_path: Path) -> None:
    html = write_report(history.root, tmp_path / "audit.html")
    assert html.startswith("<!DOCTYPE html>")
    assert AUDIT_SCRIPT not in html and "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html), "nothing may be fetched at view time"
    assert "default-src 'none'" in html
    for chart in ("chart-performance", "chart-fairness"):
        assert f'id="{chart}"' in html
    assert "Verification FAILED" in html and "0002-tests.dsse.json" in html


def test_links_are_relative_to_where_the_report_is_written(history: AuditedHistory) -> None:
    reports = history.root / "reports"
    html = write_report(history.root, reports / "audit.html", "--commit-url", "https://git.example/commit/{sha}")
    assert f'href="../evidence/{MODEL}/records/0001-provenance.dsse.json"' in html
    assert f'href="https://git.example/commit/{history.commits["material"]}"' in html
    shutil.rmtree(reports)
    html = write_report(history.root, history.root / "audit.html")
    assert f'href="evidence/{MODEL}/records/0001-provenance.dsse.json"' in html
    assert f'href="#commit-{history.commits["material"]}"' in html and f'id="commit-{history.commits["material"]}"' in html
    (history.root / "audit.html").unlink()


@pytest.mark.skipif(chromium_binary() is None, reason="chromium is not installed (apt-get install chromium; .ci/run does it as root)")
def test_report_renders_in_chromium_with_its_charts(history: AuditedHistory, tmp_path: Path) -> None:
    page = tmp_path / "audit.html"
    write_report(history.root, page)
    screenshot = tmp_path / "audit.png"
    dom, log = chromium_render(page, tmp_path / "profile", screenshot=screenshot)
    console = [line for line in log.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == [], console
    assert dom.count("<svg") >= 2 and dom.count("<polyline") >= 2 and dom.count("<circle") >= 8
    assert "Adverse impact ratio per group" in dom and "Performance per run" in dom
    assert "&lt;script&gt;alert" in dom
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000
