"""Highlighted snippets: matched terms wrapped in ``<mark>``, everything else HTML-escaped.

Matching is done on the normalised text (so ``ＧＤＰ`` in a title is marked for the query ``gdp``)
and mapped back to the original characters. Pinyin queries mark the Chinese characters they spell.
"""

from __future__ import annotations

from html import escape

from catalog.search import text as tx

SNIPPET_CHARS = 120


def _normalised_with_map(original: str) -> tuple[str, list[int]]:
    """The normalised text and, for each of its characters, the index of the original character."""
    whole = tx.normalise(original)
    if len(whole) == len(original):
        # Nearly always: width folding and case mapping keep one character per character.
        return whole, list(range(len(original)))
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(original):
        folded = tx.normalise(char)
        out.append(folded)
        origin.extend([index] * len(folded))
    return "".join(out), origin


def _marked(original: str, tokens: set[str]) -> list[bool]:
    """Which original characters belong to a matched token."""
    normalised, origin = _normalised_with_map(original)
    marks = [False] * len(original)

    def mark(start: int, end: int) -> None:
        for i in range(start, end):
            marks[origin[i]] = True

    pinyin = any(t[:1] in (tx.SYLLABLE_BIGRAM, tx.INITIAL_BIGRAM) for t in tokens)
    for run in tx.runs(normalised):
        if run.kind == "cjk":
            text = run.text
            for size in (2, 1):
                for i in range(len(text) - size + 1):
                    if text[i : i + size] in tokens:
                        mark(run.start + i, run.start + i + size)
            if pinyin:
                for match in tx.HAN.finditer(text):
                    _mark_pinyin(match.group(), run.start + match.start(), tokens, mark)
        elif run.text[: tx.MAX_WORD] in tokens:
            mark(run.start, run.end)
    return marks


def _mark_pinyin(han: str, offset: int, tokens: set[str], mark) -> None:
    if len(han) < 2:
        return
    spelled = tx.syllables(han)
    for i in range(len(spelled) - 1):
        left, right = spelled[i], spelled[i + 1]
        if tx.SYLLABLE_BIGRAM + left + right in tokens or tx.INITIAL_BIGRAM + left[:1] + right[:1] in tokens:
            mark(offset + i, offset + i + 2)


def _render(original: str, marks: list[bool], start: int, end: int) -> str:
    parts: list[str] = []
    i = start
    while i < end:
        j = i
        while j < end and marks[j] == marks[i]:
            j += 1
        chunk = escape(original[i:j], quote=True)
        parts.append(f"<mark>{chunk}</mark>" if marks[i] else chunk)
        i = j
    return "".join(parts)


def highlight(original: str | None, tokens: set[str]) -> str:
    """The whole text as HTML with matched tokens marked (for titles)."""
    original = original or ""
    return _render(original, _marked(original, tokens), 0, len(original))


def snippet(original: str | None, tokens: set[str], size: int = SNIPPET_CHARS) -> str:
    """About ``size`` characters around the first match, as HTML with matches marked and ``…`` where cut."""
    original = original or ""
    marks = _marked(original, tokens)
    first = marks.index(True) if True in marks else 0
    start = max(0, min(first - size // 4, len(original) - size))
    end = min(len(original), start + size)
    body = _render(original, marks, start, end)
    return ("…" if start > 0 else "") + body + ("…" if end < len(original) else "")
