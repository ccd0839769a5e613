"""``python -m gaussmix``: the ``gaussmix`` command (see :mod:`gaussmix.cli`)."""

from .cli import main

main(prog_name="gaussmix")
