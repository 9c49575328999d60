"""The HTML report in a real browser: headless Chromium screenshots at desktop and phone widths.

The text of the HTML proves little about how it looks; these tests read pixels. A plot stand-in is a
solid magenta PNG 800×200 px and a key frame a solid cyan JPEG, so each is found by its colour:
on a desktop the plot shows at full size; on a 390 px phone it is scaled down whole (same aspect,
inside the screen), not cut off at the edge, and the page itself never scrolls sideways (wide tables
scroll inside their own box). Skipped, saying why, where Chromium is not installed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from posecoach.events import FormWarning, RepCompleted
from posecoach.landmarks import Side
from posecoach.sinks.report import SessionReport, render_html, report_sections
from posecoach.summary import SessionSummary

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER = next((found for name in BROWSERS if (found := shutil.which(name))), None)
needs_chromium = pytest.mark.skipif(
    BROWSER is None,
    reason="Chromium is not installed (e.g. 'apt-get install chromium'); the report's look is checked only where "
           "a browser exists")
DESKTOP, PHONE = 1280, 390
MAGENTA, CYAN = (255, 0, 255), (0, 255, 255)


def _solid_image(width: int, height: int, rgb: tuple[int, int, int], ext: str) -> bytes:
    import cv2

    image = np.zeros((height, width, 3), np.uint8)
    image[:] = rgb[::-1]  # BGR
    ok, encoded = cv2.imencode(ext, image)
    assert ok
    return encoded.tobytes()


def _html() -> str:
    events = [
        RepCompleted(2.0, side=Side.LEFT, count=1, start_s=0.5, peak_s=1.2, rom=70.0, peak=70.0, up_s=0.7, down_s=0.8),
        FormWarning(3.4, code="back-lifting", message="Keep your back on the floor.", side=Side.RIGHT, rep=1),
        RepCompleted(4.0, side=Side.RIGHT, count=1, start_s=2.5, peak_s=3.3, rom=64.0, peak=64.0, up_s=0.8,
                     down_s=0.7),
    ]
    summary = SessionSummary("lying-march", "/videos/march.mp4", duration_s=6.0, fps=30.0, frames=180,
                             frames_with_pose=150, events=events, patient="Ann Lee",
                             recorded_at="2025-03-04T09:30:00+00:00", notes=["A note that is long enough to wrap "
                                                                            "on a phone screen, to be read."])
    report = SessionReport.build(summary, title="Lying march")
    report.key_frames = {2: _solid_image(320, 180, CYAN, ".jpg")}
    return render_html(report_sections(report), {"trace": _solid_image(800, 200, MAGENTA, ".png")})


def _chromium(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    assert BROWSER is not None
    return subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
         f"--user-data-dir={home / 'chromium-profile'}", *args],
        capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    path = folder / "report.html"
    path.write_text(_html(), encoding="utf-8")
    return path


def _screenshot(page: Path, width: int) -> np.ndarray:
    import cv2

    shot = page.with_name(f"shot-{width}.png")
    result = _chromium(f"--window-size={width},2000", f"--screenshot={shot}", page.as_uri(), home=page.parent)
    assert shot.exists(), result.stderr[-2000:]
    image = cv2.imread(str(shot))[:, :, ::-1]  # RGB
    assert image.shape[1] == width
    return image


def _box(image: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 40) -> tuple[int, int, int, int]:
    """Bounding box (left, top, right, bottom) of the pixels near ``rgb``."""
    near = np.all(np.abs(image.astype(int) - np.array(rgb)) <= tolerance, axis=2)
    rows, cols = np.nonzero(near)
    assert rows.size, f"no pixels of colour {rgb} on the page"
    return int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1


def _has_text(image: np.ndarray) -> bool:
    top = image[:300]
    return float(np.mean(np.all(top < 90, axis=2))) > 0.003


@needs_chromium
def test_on_a_desktop_the_plot_shows_at_full_size_and_the_key_frame_beside_the_text(page: Path) -> None:
    image = _screenshot(page, DESKTOP)
    assert _has_text(image), "the heading and the who/when lines are drawn"
    left, top, right, bottom = _box(image, MAGENTA)
    assert (right - left, bottom - top) == (800, 200), "the plot at its own size"
    left, top, right, bottom = _box(image, CYAN)
    assert 240 <= right - left <= 270, "the key frame is a small still (16rem)"


@needs_chromium
def test_on_a_phone_the_plot_is_scaled_down_whole_and_nothing_is_cut_off(page: Path) -> None:
    image = _screenshot(page, PHONE)
    assert _has_text(image)
    left, top, right, bottom = _box(image, MAGENTA)
    assert left >= 4 and right <= PHONE - 4, "inside the screen with a margin, not cut at its edge"
    assert (right - left) / (bottom - top) == pytest.approx(4.0, rel=0.05), "scaled whole, aspect kept"
    left, _, right, _ = _box(image, CYAN)
    assert left >= 4 and right <= PHONE - 4


@needs_chromium
def test_on_a_phone_the_page_does_not_scroll_sideways(page: Path) -> None:
    """A probe appended to a copy of the page paints a bar at the top: green when the laid-out page is
    no wider than the screen, red when it would scroll sideways; the screenshot's pixels say which."""
    import cv2

    probe = page.with_name("probe.html")
    probe.write_text(page.read_text(encoding="utf-8").replace(
        "</body>", "<script>const wide = document.documentElement.scrollWidth > innerWidth;"
                   "const bar = document.createElement('div');"
                   "bar.style.cssText = 'position:fixed;top:0;left:0;width:40px;height:40px;background:'"
                   " + (wide ? '#ff0000' : '#00ff00');document.body.appendChild(bar);</script></body>"),
        encoding="utf-8")
    shot = page.with_name("probe.png")
    result = _chromium(f"--window-size={PHONE},900", f"--screenshot={shot}", probe.as_uri(), home=page.parent)
    assert shot.exists(), result.stderr[-2000:]
    corner = cv2.imread(str(shot))[5:35, 5:35, ::-1].reshape(-1, 3).mean(axis=0)
    assert corner == pytest.approx((0, 255, 0), abs=30), "green: the page is no wider than the phone"


def test_the_page_is_ready_for_phones_and_paper(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert "@media print" in text and '<div class="scroll"><table>' in text
