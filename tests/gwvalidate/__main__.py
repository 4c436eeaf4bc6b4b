"""`python tests/gwvalidate ...` (a folder with __main__.py) or `python -m gwvalidate` from tests/."""

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a folder: make the package importable by its name
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gwvalidate.cli import main  # noqa: E402

sys.exit(main())
