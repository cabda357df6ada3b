"""`python -m refbackend`: the kioskd-backend command (refbackend/cli/)."""

import sys

from refbackend.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
