"""Synthetic exercise videos with exact ground truth (``posecoach synth``).

    from posecoach.synth import SynthSpec, write_clip
    truth = write_clip(SynthSpec("lying-leg-raise", view="side", faults=["back-lift@3"], seed=7), Path("clip.mp4"))

The pipeline: :mod:`~posecoach.synth.motions` scripts joint angles and records the truth,
:mod:`~posecoach.synth.kinematics` turns angles into a 3-D body, :mod:`~posecoach.synth.render`
paints it, :mod:`~posecoach.synth.truth` defines the JSON written beside the video.
"""

from posecoach.synth.clip import SynthClip, SynthSpec, joints_path_for, synthesize, truth_path_for, write_clip
from posecoach.synth.motions import EXERCISES, FAULT_CODES, SynthOptionError
from posecoach.synth.render import CONDITIONS, VIEWS
from posecoach.synth.truth import ClipTruth

__all__ = [
    "CONDITIONS", "EXERCISES", "FAULT_CODES", "VIEWS", "ClipTruth", "SynthClip", "SynthOptionError", "SynthSpec",
    "joints_path_for", "synthesize", "truth_path_for", "write_clip",
]
