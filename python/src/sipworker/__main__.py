"""``python3 -m sipworker ...``: see sipworker.cli for the subcommands and exit codes."""
import sys

from .cli import main

sys.exit(main())
