"""The randomised rendered benchmark (``render_suite.py --random``): deterministic from its seed,
and covering every exercise, view bucket, fault and kind of variation — checked on the drawn specs,
without rendering a pixel."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from posecoach.exercises import CATALOG
from posecoach.synth import FAULT_CODES, ClipTruth, synthesize
from posecoach.synth.motions import EXERCISES, SCRIPTS_BY_SLUG
from posecoach.synth.random_suite import CATALOG_VIEWS, LANDSCAPE, PORTRAIT, RandomClip, draw_suite, view_buckets

DRAWN = 200


@pytest.fixture(scope="module")
def suite() -> list[RandomClip]:
    return draw_suite(DRAWN, 7)


def test_the_same_seed_draws_the_same_suite_and_a_longer_one_extends_it(suite: list[RandomClip]) -> None:
    again = draw_suite(DRAWN, 7)
    assert [(c.name, c.spec) for c in again] == [(c.name, c.spec) for c in suite]
    assert [c.spec for c in draw_suite(30, 7)] == [c.spec for c in suite[:30]]
    other = draw_suite(30, 8)
    assert [c.spec for c in other] != [c.spec for c in suite[:30]]
    assert len({c.name for c in suite}) == DRAWN


def test_every_exercise_is_drawn_from_every_view_bucket_it_allows(suite: list[RandomClip]) -> None:
    seen = Counter((c.spec.exercise, c.variation["view_bucket"]) for c in suite)
    for slug in EXERCISES:
        for bucket in view_buckets(slug):
            assert seen[(slug, bucket)] >= 1, f"{slug} never filmed from {bucket}"
    per_exercise = Counter(c.spec.exercise for c in suite)
    assert min(per_exercise.values()) >= DRAWN // len(EXERCISES)


def test_view_buckets_cover_both_sides_both_obliques_and_both_ends(suite: list[RandomClip]) -> None:
    buckets = Counter(c.variation["view_bucket"] for c in suite)
    for bucket in ("side", "oblique-feet", "oblique-head", "feet", "head", "front", "oblique-front", "oblique-back"):
        assert buckets[bucket] >= 1, bucket
    sides_of_side_views = {c.variation["camera_side"] for c in suite if c.variation["view_bucket"] == "side"}
    assert sides_of_side_views == {"left", "right"}
    azimuths = [c.spec.azimuth_deg for c in suite if c.variation["view_bucket"].startswith("oblique")]
    assert min(azimuths) < -90 and max(azimuths) > 90, "obliques from both ends and both sides"
    assert any(not c.variation["in_catalog"] for c in suite), "end-on views of lying exercises are included"
    for clip in suite:
        if clip.variation["in_catalog"]:
            assert clip.spec.view in CATALOG_VIEWS[clip.spec.exercise]


def test_the_copied_catalogue_views_still_match_the_catalogue() -> None:
    for slug in EXERCISES:
        assert CATALOG_VIEWS[slug] == tuple(str(view) for view in CATALOG[slug].views), slug


def test_every_kind_of_variation_is_drawn(suite: list[RandomClip]) -> None:
    def values(key: str) -> set:
        return {c.variation[key] for c in suite}

    assert values("portrait") == {True, False}
    assert {c.spec.size for c in suite} == {LANDSCAPE, PORTRAIT}
    assert values("lead_in") == {"idle", "fidget", "get-down", "in-position"}
    assert values("tail") == {"idle", "fidget", "get-up", "none"}
    assert values("sides") == {"both", "single", "alternating", "blocked"}
    tempos = values("tempo")
    assert min(tempos) < 0.8 and max(tempos) > 1.25
    heights = [dict(c.spec.shape)["height_m"] for c in suite]
    assert min(heights) < 1.6 and max(heights) > 1.85
    one_leg_raises = [c for c in suite if c.spec.exercise == "lying-leg-raise" and c.variation["sides"] != "both"]
    assert {c.variation["sides"] for c in one_leg_raises} == {"single", "alternating"}
    assert any(c.variation["range"] <= 0.3 for c in one_leg_raises), "a rehab straight-leg raise of ~20°"


def test_about_half_the_clips_carry_one_fault_and_every_fault_is_drawn(suite: list[RandomClip]) -> None:
    faulted = [c for c in suite if c.spec.faults]
    assert 0.4 <= len(faulted) / DRAWN <= 0.6
    assert all(len(c.spec.faults) == 1 for c in faulted)
    drawn = {(c.spec.exercise, c.variation["fault"]["code"]) for c in faulted}
    for slug in EXERCISES:
        for code in SCRIPTS_BY_SLUG[slug].faults:
            assert (slug, code) in drawn, f"{slug} never shows {code}"
    assert {code for _, code in drawn} == set(FAULT_CODES)
    for clip in faulted:
        if SCRIPTS_BY_SLUG[clip.spec.exercise].kind == "reps":
            assert clip.variation["fault"]["rep"] >= 2, "the first rep is never the faulty one"


def test_clips_are_short(suite: list[RandomClip]) -> None:
    durations = [c.variation["duration_s"] for c in suite]
    assert min(durations) >= 4.0
    assert sum(d <= 10.5 for d in durations) / len(durations) >= 0.8
    assert max(durations) <= 16.0


def test_the_truth_records_every_choice() -> None:
    clip = next(c for c in draw_suite(20, 7) if c.spec.exercise == "lying-leg-raise")
    truth = synthesize(clip.spec).truth
    data = json.loads(json.dumps(truth.to_dict()))
    variation = data["variation"]
    for key in ("view_bucket", "camera_side", "catalog_view", "in_catalog", "portrait", "tempo", "range", "sides",
                "lead_in", "lead_in_s", "tail", "tail_s", "fill", "body", "fault"):
        assert key in variation, key
    assert data["camera"]["azimuth_deg"] == pytest.approx(clip.spec.azimuth_deg)
    assert data["camera"]["orientation"] == ("portrait" if variation["portrait"] else "landscape")
    assert ClipTruth.from_dict(data).variation == variation
    if variation["sides"] != "both":
        assert {rep["side"] for rep in data["reps"]} <= {"left", "right"}


def _benchmark(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A script of ``benchmarks/`` (not a package) loaded as a module for the length of one test."""
    path = Path(__file__).resolve().parent.parent / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"{name}_benchmark", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_maps_every_injectable_fault_to_warnings_posecoach_can_raise(
        monkeypatch: pytest.MonkeyPatch) -> None:
    accuracy = _benchmark("accuracy", monkeypatch)
    assert set(accuracy.FAULT_WARNINGS) == set(FAULT_CODES)
    rule_codes = {rule.code for exercise in CATALOG.values() for rule in exercise.form}
    raised = rule_codes | {"partial-range", "too-fast", "hold-broken-early"}
    for fault, codes in accuracy.FAULT_WARNINGS.items():
        assert set(codes) <= raised, f"{fault}: {set(codes) - raised} is no warning posecoach raises"


def test_the_laptop_clips_film_floor_exercises_from_a_laptops_height(monkeypatch: pytest.MonkeyPatch) -> None:
    """A laptop on a table 2 m from the mat looks down at about 30°, above the random suites' floor
    cameras: those clips are named, distinct, and synthesize with the camera where they say."""
    clips = _benchmark("render_suite", monkeypatch).laptop_suite()
    assert len({clip.name for clip in clips}) == len(clips) == 12
    for clip in clips:
        truth = synthesize(clip.spec).truth
        assert 30 <= truth.camera.elevation_deg <= 36, clip.name
        assert SCRIPTS_BY_SLUG[clip.spec.exercise].posture != "standing", clip.name
