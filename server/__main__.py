"""`python -m server` is `buurt-server`."""

import sys

from server.cli import main

sys.exit(main())
