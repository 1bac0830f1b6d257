"""Text similarity for Chinese titles and item names: folding, place-name stripping, character bigrams, Dice.

Chinese has no spaces, so words are approximated by overlapping character bigrams (城乡低保 → 城乡 乡低
低保), the way Elasticsearch's ``cjk`` analyzer does; two titles are compared with the Dice coefficient
of their bigram sets, 2·|A∩B| / (|A|+|B|) — Jaccard's monotone cousin, kinder to a short inventory title
against a long catalog title. Place names (淮南市, 凤台县 …) are removed first: every resource of a
department carries its city or county name, which would make unrelated titles look alike and the
same dataset of two counties look different.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Letters, digits and CJK characters survive folding; punctuation, brackets and spaces do not.
_KEEP = re.compile(r"[\w]+", re.UNICODE)


def fold(text: str | None) -> str:
    """Fold width, case, spacing and punctuation away: ``" 公民身份号码（18位） "`` → ``"公民身份号码18位"``."""
    normalised = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(_KEEP.findall(normalised)).replace("_", "")


def strip_places(folded: str, places: Iterable[str]) -> str:
    """Remove place names (already folded, longest first) from folded text; keep the text if nothing is left."""
    stripped = folded
    for place in places:
        if place:
            stripped = stripped.replace(place, "")
    return stripped or folded


def place_names(labels: Iterable[str]) -> tuple[str, ...]:
    """Folded place names, longest first (so 淮南市 goes before 淮南), from division labels.

    A label such as 凤台县 also yields its short form 凤台; one character forms are dropped.

    :param labels: prefLabels and altLabels of the division vocabulary.
    """
    names: set[str] = set()
    for label in labels:
        folded = fold(label)
        if len(folded) < 2:
            continue
        names.add(folded)
        if folded[-1] in "市县区" and len(folded) > 2:
            names.add(folded[:-1])
    return tuple(sorted(names, key=lambda n: (-len(n), n)))


def bigrams(folded: str) -> frozenset[str]:
    """Overlapping character bigrams of folded text; a one-character text is its own bigram."""
    if len(folded) < 2:
        return frozenset({folded}) if folded else frozenset()
    return frozenset(folded[i : i + 2] for i in range(len(folded) - 1))


def dice(left: frozenset[str], right: frozenset[str]) -> float:
    """The Dice coefficient of two sets, 0 when both are empty."""
    if not left or not right:
        return 0.0
    return 2 * len(left & right) / (len(left) + len(right))


def jaccard(left: frozenset[str], right: frozenset[str]) -> float:
    """The Jaccard index of two sets, 0 when both are empty."""
    union = left | right
    return len(left & right) / len(union) if union else 0.0


def split_names(text: str | None) -> list[str]:
    """Split a cell listing item names (``姓名、身份证号码；性别``) into the names, in order, without repeats."""
    parts = re.split(r"[、,，;；/|\n\r\t]+", text or "")
    return list(dict.fromkeys(part.strip() for part in parts if part.strip()))
