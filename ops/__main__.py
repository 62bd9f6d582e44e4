"""`python -m ops ...`: see `python -m ops --help`."""

import sys

from ops.cli import main

sys.exit(main())
