"""Checking: files in a tree in, a CheckResult (every diagnostic of every file) out."""

from assay.check.result import CheckResult
from assay.check.run import Judges, check_document, check_files, judge_model, load_documents, model_names, schema_name_for

__all__ = ["CheckResult", "Judges", "check_document", "check_files", "judge_model", "load_documents", "model_names", "schema_name_for"]
