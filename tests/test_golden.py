"""Golden regression: the cached real-clip traces must keep giving the counts in ``expected.tsv``.

The traces are MediaPipe's landmarks of the shared real clips, cached once, so this test needs
neither the videos nor the model. Any change to features or engine that moves a count fails here;
if the change is deliberate, run ``python tests/golden/regenerate.py`` and review the table's diff.
"""

from __future__ import annotations

import pytest

from tests.golden.regenerate import golden_row, read_expected

EXPECTED = read_expected()


@pytest.mark.parametrize("expected", EXPECTED, ids=[row["trace"] for row in EXPECTED])
def test_replaying_a_cached_real_clip_gives_the_golden_counts(expected):
    assert golden_row(expected["trace"], expected["exercise"]) == expected


def test_the_golden_table_covers_every_cached_trace():
    from tests.golden.regenerate import GOLDEN

    cached = sorted(p.stem for p in (GOLDEN / "traces").glob("*.npz"))
    assert sorted(row["trace"] for row in EXPECTED) == cached
