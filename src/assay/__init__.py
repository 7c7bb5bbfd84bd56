"""assay: a declarative GitOps compiler for machine-learning models in regulated finance."""

__version__ = "0.1.0"
