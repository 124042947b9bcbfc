"""Reading the bundled model files (``data/model/*.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from geomap.errors import ModelError


def read_model(path: str | Path) -> dict[str, Any]:
    """The parsed JSON of a model file; :class:`ModelError` when it cannot be read."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ModelError(
            f"cannot read the model {path} ({err}); expected the JSON file shipped in "
            "data/model/; reinstall from a full checkout (pip install -e .)"
        ) from err
    if not isinstance(data, dict) or "weights" not in data:
        raise ModelError(f"{path} is not a geomap model: it has no weights; reinstall it")
    return data
