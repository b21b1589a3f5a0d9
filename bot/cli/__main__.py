"""``python -m bot.cli``: the ``aftercare`` command."""

import sys

from bot.cli import main

sys.exit(main())
