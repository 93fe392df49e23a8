"""``python -m accounting_connectors``: the command line (see :mod:`accounting_connectors.cli`)."""

from .cli import main

raise SystemExit(main())
