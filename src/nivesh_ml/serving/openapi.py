"""Export the OpenAPI document: ``python -m nivesh_ml.serving.openapi docs/openapi.json``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from nivesh_ml.config import Settings


def openapi_document() -> dict[str, Any]:
    """The app's OpenAPI schema (built without loading models or opening stores)."""
    from nivesh_ml.serving.app import create_app

    schema: dict[str, Any] = create_app(Settings(), load_models=False).openapi()
    return schema


def render() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/openapi.json")
    target.write_text(render())
    print(f"wrote {target}")
