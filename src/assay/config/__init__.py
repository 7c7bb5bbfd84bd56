"""Repository configuration: `assay.yaml` in, a validated Config out."""

from assay.config.model import Config, load_config

__all__ = ["Config", "load_config"]
