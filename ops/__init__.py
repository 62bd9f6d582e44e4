"""The operator CLI: `python -m ops` (DESIGN section 8).

It runs from the repository root with the project's environment, so the shared code the functions
use to describe events and items (`shortener.*`, the SharedCode layer) is put on the path here:
the CLI decodes messages with the same code that wrote them, never with a copy.
"""

from __future__ import annotations

import sys
from pathlib import Path

_SHARED_CODE = Path(__file__).resolve().parent.parent / "layers" / "common" / "python"
if _SHARED_CODE.is_dir() and str(_SHARED_CODE) not in sys.path:
    sys.path.append(str(_SHARED_CODE))
