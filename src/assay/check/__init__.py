"""Checking: files in a tree in, a CheckResult (every diagnostic of every file) out."""

from assay.check.result import CheckResult
from assay.check.run import check_document, check_files, load_documents, schema_name_for

__all__ = ["CheckResult", "check_document", "check_files", "load_documents", "schema_name_for"]
