"""`python -m console` is `buurt`."""

import sys

from console.cli import main

sys.exit(main())
