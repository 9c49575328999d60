"""``posecoach exercises``: the catalogue, with kind, sides, views and source article."""

from __future__ import annotations

from typing import Any

import click

from posecoach.cli.options import format_option
from posecoach.exercises import CATALOG, Exercise, Kind
from posecoach.sinks.console import format_table
from posecoach.summary import strict_json
from posecoach.terminal import echo


def exercise_record(exercise: Exercise) -> dict[str, Any]:
    program = exercise.program
    return {
        "slug": exercise.slug,
        "name": exercise.name,
        "kind": exercise.kind.value,
        "judged": exercise.kind is not Kind.TIMER,
        "sides": exercise.sides.value,
        "views": [view.value for view in exercise.views],
        "position": exercise.posture.name,
        "program": {"sets": program.sets, "reps": program.reps, "hold_s": program.hold_s, "rest_s": program.rest_s},
        "form_checks": [rule.code for rule in exercise.form],
        "cues": list(exercise.cues),
        "source": {"article": exercise.source.article, "instruction": exercise.source.instruction}
        if exercise.source else None,
    }


@click.command()
@format_option("table", "json")
def exercises(output_format: str) -> None:
    """List the exercises posecoach can count or time."""
    records = [exercise_record(e) for e in CATALOG.values()]
    if output_format == "json":
        echo(strict_json(records, indent=2))
        return
    from posecoach.wording import article_title

    rows = []
    for r in records:
        kind = "timer only" if not r["judged"] else r["kind"]
        article = article_title(str(r["source"]["article"])) if r["source"] else "-"
        rows.append([r["slug"], kind, r["sides"], ",".join(r["views"]), r["position"], article,
                     ",".join(r["form_checks"]) or "-"])
    echo(format_table(rows, ["slug", "kind", "sides", "views", "starting position", "from the article",
                             "form checks"]))


COMMANDS = [exercises]
