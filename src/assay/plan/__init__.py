"""Compiling: a validated spec in, a Plan (canonical JSON and its digest) out.

`compile_plan` is pure; `canonical_bytes` and `canonical_digest` implement RFC 8785.
"""

from assay.plan.canonical import canonical_bytes, canonical_digest
from assay.plan.compile import compile_plan
from assay.plan.model import CompiledPlan, PlanContext, Prices

__all__ = ["CompiledPlan", "PlanContext", "Prices", "canonical_bytes", "canonical_digest", "compile_plan"]
