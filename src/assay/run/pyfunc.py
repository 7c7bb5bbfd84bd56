"""MLflow's `python_function` entry point for an assay model package (`loader_module: assay.run.pyfunc`).

MLflow, MLServer's MLflow runtime, SageMaker and Azure ML call `_load_pyfunc`
with the path of the flavor's `data` (the package's model.skops); the pipeline is
loaded through the allowlist check of `assay.run.package`, never unpickled.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assay.run.package import load_model_package


class PackagedModel:
    """The fitted pipeline, answering `predict` with the event probability per row."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline

    def predict(self, model_input: Any, params: Mapping[str, Any] | None = None) -> Any:
        """A float Series named `probability`, indexed like the input: `predict_proba[:, 1]`."""
        import pandas as pd

        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        probabilities = self.pipeline.predict_proba(frame)[:, 1]
        return pd.Series(probabilities, index=frame.index, name="probability", dtype="float64")


def _load_pyfunc(data_path: str, model_config: Mapping[str, Any] | None = None) -> PackagedModel:
    """MLflow's loader contract: `data_path` is the package folder or its model.skops."""
    return PackagedModel(load_model_package(Path(data_path)))
