"""``python -m geodata`` runs the ``kcm`` command line."""

from geodata.cli import main

raise SystemExit(main())
