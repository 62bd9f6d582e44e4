"""The operator CLI: `shortener-ops`, or `python -m ops` (docs/ops.md).

It decodes messages with the shared code the functions use to describe events and items
(`shortener.*`, the SharedCode layer), never with a copy. `make setup` installs both packages
into .venv (pyproject.toml), so the `shortener-ops` script runs from any folder; without that
install, `python -m ops` from the repository root finds the shared code through the path added
here.
"""

from __future__ import annotations

import sys
from pathlib import Path

_SHARED_CODE = Path(__file__).resolve().parent.parent / "layers" / "common" / "python"
if _SHARED_CODE.is_dir() and str(_SHARED_CODE) not in sys.path:
    sys.path.append(str(_SHARED_CODE))
