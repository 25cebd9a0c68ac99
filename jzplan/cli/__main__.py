"""``python -m jzplan.cli``: the same as the ``jzplan`` command."""

from jzplan.cli import main

raise SystemExit(main())
