"""One error hierarchy; the CLI turns any of these into a single ``Error: ...`` line.

Every message says what went wrong *and* what to do next, because it is the only line the user sees.
"""

from __future__ import annotations


class PoseCoachError(Exception):
    """Base class of every error posecoach reports to a user (exit code 1)."""

    exit_code = 1


class SourceError(PoseCoachError):
    """A video, image folder, camera or stream cannot be opened or read."""


class ModelError(PoseCoachError):
    """The pose model file is missing, truncated or not a pose landmarker bundle."""


class UnknownExerciseError(PoseCoachError):
    """An exercise slug that is not in the catalogue: a usage error (exit 2), like Click's own."""

    exit_code = 2

    def __init__(self, slug: str, valid: list[str]) -> None:
        from posecoach.wording import did_you_mean

        super().__init__(f"unknown exercise '{slug}'{did_you_mean(slug, valid)}. Valid exercises: "
                         f"{', '.join(sorted(valid))}")
        self.slug = slug
        self.valid = valid


class NoHoldError(PoseCoachError):
    """A hold target given for an exercise that has no hold."""

    exit_code = 2

    def __init__(self, slug: str) -> None:
        super().__init__(f"'{slug}' has no hold, so --hold does not apply; exercises with holds include "
                         "plank, side-plank and supine-knee-to-chest")


class UnrecognisedError(PoseCoachError):
    """No catalogue exercise could be recognised in a recording analysed without ``--exercise``."""

    def __init__(self, source: str) -> None:
        super().__init__(f"could not tell which exercise '{source}' shows: pass -e EXERCISE "
                         "('posecoach exercises' lists them)")


class NothingAnalysedError(PoseCoachError):
    """Every video of a run failed (each has said why on its own ``Error:`` line)."""

    def __init__(self) -> None:
        super().__init__("none of the videos could be analysed")


class SomeVideosFailedError(PoseCoachError):
    """Some videos of a run failed, each on its own ``Error:`` line; the others were analysed, printed
    and saved. Exit code 1 all the same, so a script that runs a week's videos notices."""

    def __init__(self, failed: int, total: int) -> None:
        super().__init__(f"{failed} of {total} videos could not be analysed (each says why above); "
                         "the others are analysed above")


class OutputError(PoseCoachError):
    """An output path that cannot be written (missing folder, no permission, would overwrite)."""


class HistoryError(PoseCoachError):
    """The history database is locked, corrupt or cannot be written."""
