"""``python -m posecoach`` runs the CLI."""

from posecoach.cli import main

main()
