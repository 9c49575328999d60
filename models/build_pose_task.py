"""Rebuild ``pose_landmarker_full.task`` from the Apache-2.0 models in the mediapipe 0.10.21 wheel.

Why this exists: MediaPipe's Tasks ``PoseLandmarker`` wants a ``.task`` bundle that is normally
downloaded from Google's storage at run time. The 0.10.21 wheel on PyPI still ships the raw
BlazePose GHUM TFLite models; the Tasks API accepts them once they carry image-normalisation
metadata, which only the 0.10.21 metadata writer can add (it is broken in mediapipe 1.x, and
0.10.21 needs numpy<2). So the build runs in a throwaway virtualenv.

Usage::

    python models/build_pose_task.py            # rebuild and check against the recorded sha256
    python models/build_pose_task.py --output /tmp/x.task --no-check
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import venv
import zipfile
from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent
DEFAULT_OUTPUT = MODELS_DIR / "pose_landmarker_full.task"
EXPECTED_SHA256_FILE = MODELS_DIR / "pose_landmarker_full.task.sha256"
MEDIAPIPE_VERSION = "0.10.21"

# (member name in the bundle, path inside the wheel, normalisation mean, std, output count)
BUNDLE_MEMBERS = (
    ("pose_detector.tflite", "modules/pose_detection/pose_detection.tflite", 127.5, 127.5, 2),
    ("pose_landmarks_detector.tflite", "modules/pose_landmark/pose_landmark_full.tflite", 0.0, 255.0, 5),
)
# A fixed timestamp keeps the zip byte-for-byte reproducible.
ZIP_DATE_TIME = (2024, 1, 1, 0, 0, 0)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_bundle(output: Path) -> None:
    """Runs inside the throwaway virtualenv that has mediapipe 0.10.21."""
    import mediapipe
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

    package_dir = Path(mediapipe.__file__).resolve().parent
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_STORED) as bundle:
        for member, wheel_path, mean, std, outputs in BUNDLE_MEMBERS:
            model = (package_dir / wheel_path).read_bytes()
            writer = metadata_writer.MetadataWriter.create(bytearray(model))
            writer.add_general_info(member.removesuffix(".tflite"))
            writer.add_image_input(norm_mean=[mean], norm_std=[std])
            for _ in range(outputs):
                writer.add_feature_output()
            model_with_metadata, _ = writer.populate()
            info = zipfile.ZipInfo(member, date_time=ZIP_DATE_TIME)
            info.external_attr = 0o644 << 16
            bundle.writestr(info, bytes(model_with_metadata))


def build_in_virtualenv(output: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="posecoach-model-") as tmp:
        env_dir = Path(tmp) / "venv"
        print(f"creating a throwaway virtualenv in {env_dir}", file=sys.stderr)
        venv.create(env_dir, with_pip=True)
        python = env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", f"mediapipe=={MEDIAPIPE_VERSION}", "numpy<2"],
            check=True,
        )
        subprocess.run([str(python), __file__, "--inside-virtualenv", "--output", str(output)], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--no-check", action="store_true", help="do not compare with the recorded sha256")
    parser.add_argument("--inside-virtualenv", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.inside_virtualenv:
        write_bundle(args.output)
        return 0

    build_in_virtualenv(args.output)
    digest = sha256_of(args.output)
    print(f"{args.output}: sha256 {digest}")
    if args.no_check:
        return 0
    expected = EXPECTED_SHA256_FILE.read_text().split()[0]
    if digest != expected:
        print(f"sha256 differs from the recorded {expected}", file=sys.stderr)
        return 1
    print("sha256 matches the recorded bundle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
