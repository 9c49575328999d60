"""Plain words for every output: counts with the right plural, and what each code means.

Codes (``dropped-fast``, ``back-lifting``, ``both-sides-moved``) are stable for programs; a person
reading a report or a table gets the sentence beside them. Imports nothing heavy.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

CODE_MEANINGS: dict[str, str] = {
    # per-rep flags (RepCompleted.flags)
    "no-pause": "no pause at the top: the exercise asks you to hold the top position briefly",
    "dropped-fast": "lowered much faster than lifted: let the leg (or body) down slowly, under control",
    # form warnings (WarningCode)
    "back-lifting": "the lower back lifted off the floor",
    "pelvis-rocking": "the pelvis rocked from side to side",
    "hips-sagging": "the hips sagged below the line of the body",
    "hips-piking": "the hips rose above the line of the body",
    "knee-below-hip": "the knee did not come up to hip height",
    "trunk-rotating": "the trunk twisted",
    "legs-swinging": "the legs swung (momentum instead of muscle)",
    "knee-bent": "the knee bent when it should stay straight",
    "back-rounding": "the back rounded",
    "partial-range": "the movement did not go through the full range",
    "too-fast": "the movement was too fast to control",
    "hold-broken-early": "the hold ended before its target time",
    # rejections (RepRejected.code): movements that did not count
    "both-sides-moved": "both sides moved together where one side should work at a time",
    "too-slow": "the movement took too long to count as one rep",
    "hold-too-short": "the top was not held long enough",
    "other-movement": "a different movement from the exercise's",
}


def plural(count: float, word: str, words: str | None = None) -> str:
    """``plural(1, "rep")`` is "1 rep", ``plural(3, "rep")`` "3 reps"; ``words`` for irregular plurals."""
    shown = f"{count:g}" if isinstance(count, float) else str(count)
    return f"{shown} {word if count == 1 else (words or word + 's')}"


def explain(code: str) -> str:
    """The words for one code; an unknown one is shown with its dashes as spaces."""
    return CODE_MEANINGS.get(code, code.replace("-", " "))


def glossary(codes: Iterable[str]) -> list[tuple[str, str]]:
    """``(code, meaning)`` for each distinct code, in the order given."""
    return [(code, explain(code)) for code in dict.fromkeys(codes) if code]


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """" (did you mean 'lying-leg-raise'?)" for a near miss, else ""."""
    close = difflib.get_close_matches(value.strip().lower(), list(choices), n=2, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)"


def article_title(article: str) -> str:
    """The seed article's title without its catalogue number ("001 7 Best…" → "7 Best…")."""
    number, _, title = article.partition(" ")
    return title if number.isdigit() and title else article
