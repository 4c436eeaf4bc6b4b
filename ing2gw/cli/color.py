"""Whether to colour terminal output (a leaf of the command line, cheap to import)."""

from __future__ import annotations

import os
from typing import Any


def color_allowed(no_color: bool, stream: Any) -> bool:
    """Colour only on a terminal, and never with --no-color or NO_COLOR set (https://no-color.org)."""
    return not no_color and "NO_COLOR" not in os.environ and bool(getattr(stream, "isatty", lambda: False)())
