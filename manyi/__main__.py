"""`python -m manyi` runs the CLI, as the `manyi` console script does."""

from manyi.cli import main

raise SystemExit(main())
