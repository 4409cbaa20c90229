"""``python -m verify``."""
import sys

import verify as _package

if getattr(_package, "__file__", None) is None:
    # A folder named verify/ without __init__.py (a clone's own folder, seen from
    # its parent) is imported as a namespace package ahead of the installed one.
    _shadow = ", ".join(str(p) for p in getattr(_package, "__path__", ()))
    sys.exit(f"verify: the folder {_shadow} is named 'verify' and hides the installed "
             "verify package (Python imports it first because it is in the current folder "
             "or on PYTHONPATH); run from another folder, or rename that folder")

from verify.cli import main  # noqa: E402 - only once the package is known to be the real one

try:
    sys.exit(main())
except BrokenPipeError:  # `python -m verify cases/ | head`: the reader left, as with any filter
    import os
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
    sys.exit(1)
