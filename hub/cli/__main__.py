"""``python -m hub.cli`` runs the ``hub`` command line."""

from hub.cli import main

main()
