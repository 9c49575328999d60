"""posecoach: counts reps, times holds and warns about form from MediaPipe pose landmarks."""

__version__ = "0.1.0"
