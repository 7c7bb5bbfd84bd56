"""The signed record a monitoring result leaves in the model's chain.

Pure: an in-toto test-result statement (kind `monitor` in the chain's file name)
whose subject is the published report, `evidence/<model>/monitoring/<batch
sha256>/report.json`, named by its repository path; its configuration names the
plan, the baseline and the model package the batch was judged with, and the batch
(by sha256 only: production rows never enter the repository). The planDigest is
the training run's, so the result belongs to that exact model.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from assay.evidence.chain import monitoring_folder
from assay.evidence.run_records import PendingRecord
from assay.evidence.statements import TestOutcome, resource_descriptor, test_result_statement
from assay.monitor.report import BASELINE_FILE, MODEL_FILE, report_tests

RECORD_KIND = "monitor"
REPORT_NAME = "report.json"


def report_path(model: str, batch_sha256: str) -> str:
    """Where the report of one batch is published."""
    return f"{monitoring_folder(model)}/{batch_sha256}/{REPORT_NAME}"


def monitor_record(report: Mapping[str, Any], report_sha256: str, *, batch_uri: str | None, issued_at: datetime) -> PendingRecord:
    """The unsigned test-result statement of a report (its chain link is added when it is appended)."""
    passed, failed, warned = report_tests(report)
    result: TestOutcome = "FAILED" if failed else "WARNED" if warned else "PASSED"
    model = str(report["model"])
    configuration = [
        resource_descriptor(BASELINE_FILE, {"sha256": report["baseline"]["sha256"]}, uri=report["baseline"]["path"]),
        resource_descriptor(MODEL_FILE, {"sha256": report["modelPackage"]["sha256"]}),
        resource_descriptor("data/batch", {"sha256": report["batch"]["sha256"]}, uri=batch_uri or report["batch"]["name"]),
    ]
    statement = test_result_statement(
        model=model,
        subjects={report_path(model, report["batch"]["sha256"]): report_sha256},
        plan_digest=str(report["planDigest"]),
        result=result,
        passed_tests=passed,
        failed_tests=failed,
        warned=warned,
        configuration=configuration,
        issued_at=issued_at,
    )
    return PendingRecord(RECORD_KIND, statement)
