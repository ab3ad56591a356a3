"""`python -m app.cli`: the `kinetria` command."""

from app.cli import main

main()
