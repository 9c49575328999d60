"""Exercises: definitions as data, and the one pure engine that interprets them.

Imports numpy and posecoach types only — never OpenCV or MediaPipe — so it runs anywhere.
"""

from posecoach.events import EngineSnapshot, Phase
from posecoach.exercises.catalog import CATALOG, get_exercise
from posecoach.exercises.definition import Exercise, Kind, SideMode, View
from posecoach.exercises.engine import ExerciseEngine

__all__ = [
    "CATALOG",
    "EngineSnapshot",
    "Exercise",
    "ExerciseEngine",
    "Kind",
    "Phase",
    "SideMode",
    "View",
    "get_exercise",
]
