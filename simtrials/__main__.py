"""``python -m simtrials``: the command-line interface (see :mod:`simtrials.cli`)."""

import sys

from .cli import main

sys.exit(main())
