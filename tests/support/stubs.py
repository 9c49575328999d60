"""Stand-ins for the slow parts, so CLI paths run in milliseconds."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class NobodyEstimator:
    """The pose stage, minus the model: nobody is ever in view."""

    def __init__(self, model_path: Path | None = None, **_: object) -> None:
        pass

    def __enter__(self) -> NobodyEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def estimate(self, image: np.ndarray, t: float) -> None:
        return None
