"""Ongoing monitoring: a production batch against the signed training baseline (`assay monitor`).

Pure computations over typed values: drift of the score and each feature (PSI/CSI,
KS, Jensen-Shannon, data quality), performance when labels arrive, the verdict
against the spec's levels, the report and its signed record. The command line
(`assay.cli.monitor`) is the edge that reads evidence, the store and the batch.
docs/monitoring.md documents the statistics and the report.
"""

from __future__ import annotations

from assay.monitor.drift import column_drift, jensen_shannon, ks_statistic
from assay.monitor.performance import batch_performance, reference_performance
from assay.monitor.records import RECORD_KIND, monitor_record, report_path
from assay.monitor.report import BaselineRun, Batch, Labels, Reference, monitoring_report, report_tests
from assay.monitor.thresholds import PerformanceFloor, Threshold, Thresholds, thresholds_from_spec

__all__ = [
    "RECORD_KIND",
    "BaselineRun",
    "Batch",
    "Labels",
    "PerformanceFloor",
    "Reference",
    "Threshold",
    "Thresholds",
    "batch_performance",
    "column_drift",
    "jensen_shannon",
    "ks_statistic",
    "monitor_record",
    "monitoring_report",
    "reference_performance",
    "report_path",
    "report_tests",
    "thresholds_from_spec",
]
