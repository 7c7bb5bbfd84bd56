"""Splitting development data into train and test: random (seeded, optionally stratified) or by time."""

from __future__ import annotations

import math
from typing import Any


def split_rows(frame: Any, y: Any, spec: dict[str, Any]) -> tuple[list[int], list[int]]:
    """Sorted row positions of the train and test sets."""
    import numpy as np

    split = spec["training"]["split"]
    rows = np.arange(len(frame))
    if split["method"] == "time":
        column = spec["data"]["timeColumn"]
        order = np.argsort(frame[column].astype("string").to_numpy(), kind="stable")
        cut = len(rows) - math.ceil(len(rows) * split["testSize"])
        return _sorted(order[:cut]), _sorted(order[cut:])
    from sklearn.model_selection import train_test_split

    stratify = y if split.get("stratify") else None
    train, test = train_test_split(rows, test_size=split["testSize"], random_state=split["seed"], stratify=stratify)
    return _sorted(train), _sorted(test)


def _sorted(positions: Any) -> list[int]:
    import numpy as np

    ordered: list[int] = np.sort(np.asarray(positions, dtype=np.int64)).tolist()
    return ordered
