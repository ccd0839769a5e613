"""Side-by-side CPU benchmarks of gaussmix and scikit-learn's ``GaussianMixture``.

Run from the repository root (see ``benchmarks/README.md`` for the method)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks            # full suite
    python -m benchmarks --quick                                                  # reduced sizes, < 1 min
    python -m benchmarks --quick --only W2,W3f32 --reps 3 --json out.json --markdown

The suite never sets BLAS/OpenMP environment variables itself; it reports the ones it finds.
Importing this package puts the checkout's ``src/`` first on ``sys.path`` (when it exists), so the
gaussmix being measured is the one next to the suite, installed or not.
"""

from __future__ import annotations

import os
import sys

_SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
if os.path.isdir(os.path.join(_SRC, "gaussmix")) and _SRC not in sys.path:
    sys.path.insert(0, _SRC)
