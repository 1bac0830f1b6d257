"""Chinese-aware tokenisation shared by every embedded index: CJK bigrams, folded Latin words, pinyin.

The same functions build the index on SQLite and PostgreSQL and turn user input into queries, so
both databases match exactly the same documents. Text is NFKC-folded (全角 ``ＧＤＰ１２`` → ``gdp12``)
and case-folded; runs of CJK characters become overlapping bigrams (``企业信用`` → 企业 业信 信用),
like Elasticsearch's ``cjk`` analyzer; letters and digits become words, split where letters meet
digits (``GB21063`` → ``gb`` ``21063``). Everything else separates tokens and is never passed to a
database's query syntax.

Pinyin tokens are namespaced with a leading digit, which no word token can have (words split at
letter/digit boundaries), so ``renkou`` typed by a user can only reach them through
:func:`parse_query`: ``1`` + two adjacent full syllables (``1renkou``), ``2`` + two adjacent
initials (``2rk``), ``3`` + the whole text's full pinyin and ``4`` + its initials (for suggestions).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# Han (with extensions A–G and compatibility ideographs), kana and Hangul, as the cjk analyzer does.
# U+30A0 and U+30FB (kana punctuation) are left out: they are separators, not letters.
_CJK_CHARS = (
    "\u3040-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
    "\uf900-\ufaff\U00020000-\U0003134f"
)
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_RUNS = re.compile(rf"(?P<cjk>[{_CJK_CHARS}]+)|(?P<alpha>[^\W\d_{_CJK_CHARS}]+)|(?P<digit>\d+)")
_VOWELS = frozenset("aeiouv")

MAX_QUERY_CHARS = 200  # longer input is cut: no catalog title needs more, and it bounds the query size
MAX_QUERY_GROUPS = 24
MAX_WORD = 64  # longer Latin or digit runs are cut (PostgreSQL refuses lexemes over 2 KB)
MAX_SORT_KEY = 200  # a B-tree key must stay well under PostgreSQL's ~2,700-byte limit

SYLLABLE_BIGRAM, INITIAL_BIGRAM, WHOLE_PINYIN, WHOLE_INITIALS = "1", "2", "3", "4"


def normalise(text: str | None) -> str:
    """Fold full-width/half-width forms and compatibility characters (NFKC) and case."""
    return unicodedata.normalize("NFKC", text or "").casefold()


@dataclass(frozen=True, slots=True)
class Run:
    """A maximal run of CJK characters, letters or digits in normalised text."""

    kind: str  # "cjk", "alpha" or "digit"
    text: str
    start: int
    end: int


def runs(normalised: str) -> Iterator[Run]:
    """The runs of already :func:`normalise`-d text, in order."""
    for match in _RUNS.finditer(normalised):
        yield Run(match.lastgroup or "", match.group(), match.start(), match.end())


def key(text: str | None) -> str:
    """The text without case, width, spacing or punctuation differences (used for exact title matches)."""
    return "".join(run.text for run in runs(normalise(text)))


def cjk_tokens(run: str, unigrams: bool) -> list[str]:
    """Overlapping bigrams of a CJK run; single characters too when ``unigrams`` (or the run is one character)."""
    if len(run) == 1:
        return [run]
    bigrams = list(map(str.__add__, run[:-1], run[1:]))
    return [*run, *bigrams] if unigrams else bigrams


def tokens(text: str | None, *, unigrams: bool = False) -> list[str]:
    """The index tokens of a text.

    :param text: any text; ``None`` gives no tokens.
    :param unigrams: also index every CJK character alone (titles and keywords, so a one-character
        query finds them; long fields keep only bigrams, which halves their index size).
    :returns: tokens in text order, repeated as often as they occur (term frequency counts).
    """
    # The regular expression's matches directly rather than Run objects: this runs for every field
    # of every indexed resource (a rebuild or a harvest of 10,000 tokenises 40,000 fields).
    out: list[str] = []
    for match in _RUNS.finditer(normalise(text)):
        word = match.group()
        if match.lastgroup == "cjk":
            out.extend(cjk_tokens(word, unigrams))
        else:
            out.append(word[:MAX_WORD])
    return out


# -- pinyin ------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=200_000)
def _word_pinyin(word: str) -> tuple[str, ...]:
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(word, style=Style.TONE3, neutral_tone_with_five=True, errors=lambda s: ["?"] * len(s))
    if len(syllables) != len(word):  # never seen; keep the one-syllable-per-character contract anyway
        syllables = [lazy_pinyin(ch, style=Style.TONE3, neutral_tone_with_five=True)[0] for ch in word]
    return tuple(s if s.isascii() else "?" for s in syllables)


@functools.lru_cache(maxsize=100_000)
def toned_pinyin(han: str) -> tuple[str, ...]:
    """One ``TONE3`` syllable (``ren2``, neutral tone ``5``) per character of a run of Han characters.

    pypinyin's phrase dictionary picks the reading of polyphones (银行 → yin2 hang2). Converting
    word by word with a cache is about five times faster than converting whole titles, and gives
    the same result because pypinyin converts word by word too.
    """
    from pypinyin.seg.simpleseg import seg

    out: list[str] = []
    for word in seg(han):
        out.extend(_word_pinyin(word))
    return tuple(out)


def syllables(han: str) -> tuple[str, ...]:
    """Toneless syllables of a run of Han characters (``人口`` → ``ren``, ``kou``)."""
    return tuple(s.rstrip("012345") for s in toned_pinyin(han))


def pinyin_tokens(text: str | None) -> list[str]:
    """Namespaced pinyin tokens of a title or keyword: adjacent syllable and initial bigrams, whole forms.

    ``人口基础信息`` gives ``1renkou 1kouji … 2rk 2kj … 3renkoujichuxinxi 4rkjcxx``.
    """
    text = text or ""
    # Short texts are cached: keywords (人口, 低保, 社会救助 …) recur across thousands of resources,
    # while titles rarely do, and caching them would only grow the process by every title it indexes.
    return list(_short_pinyin_tokens(text) if len(text) <= SHORT_TEXT else _pinyin_tokens(text))


SHORT_TEXT = 8


@functools.lru_cache(maxsize=20_000)
def _short_pinyin_tokens(text: str) -> tuple[str, ...]:
    return _pinyin_tokens(text)


def _pinyin_tokens(text: str) -> tuple[str, ...]:
    whole: list[str] = []
    out: list[str] = []
    for match in HAN.finditer(normalise(text)):
        spelled = [s for s in syllables(match.group()) if s != "?"]
        whole.extend(spelled)
        for left, right in zip(spelled, spelled[1:], strict=False):
            out.append(SYLLABLE_BIGRAM + left + right)
            out.append(INITIAL_BIGRAM + left[0] + right[0])
    if whole:
        out.append(WHOLE_PINYIN + "".join(whole)[:120])
        out.append(WHOLE_INITIALS + "".join(s[0] for s in whole)[:60])
    return tuple(out)


@functools.cache
def pinyin_syllables() -> frozenset[str]:
    """Every toneless syllable pypinyin knows (about 410) that has a vowel, ``ü`` written ``v`` as pypinyin does."""
    from pypinyin.pinyin_dict import pinyin_dict

    found = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            plain = unicodedata.normalize("NFKD", reading).replace("u\u0308", "v")  # ǚ, ǜ … are one code point
            plain = "".join(ch for ch in plain if ch.isascii() and ch.isalpha())
            # Interjections without a vowel (嗯 n, ng, m, hm) would split "renkou" as "re n kou".
            if plain and _VOWELS & set(plain):
                found.add(plain)
    return frozenset(found)


def split_syllables(word: str, limit: int = 3) -> list[tuple[str, ...]]:
    """Ways to read a Latin word as two or more pinyin syllables, fewest syllables first.

    ``renkou`` → ``[("ren", "kou")]``; ``fangan`` → ``[("fang", "an"), ("fan", "gan")]``.
    """
    known = pinyin_syllables()
    if not word.isascii() or not word.isalpha() or len(word) > 48:
        return []

    @functools.cache
    def ways(start: int) -> tuple[tuple[str, ...], ...]:
        if start == len(word):
            return ((),)
        found = []
        for end in range(min(len(word), start + 6), start, -1):
            head = word[start:end]
            if head in known:
                found.extend((head, *tail) for tail in ways(end))
        return tuple(found[: limit * 4])

    readings = sorted((w for w in ways(0) if len(w) >= 2), key=len)
    return readings[:limit]


def sort_key(title: str | None) -> str:
    """The title's sort key in pinyin order (人口 → ``ren2 kou3``), ASCII for Han, byte-comparable.

    Both databases compare it byte by byte (SQLite's BINARY, PostgreSQL's ``COLLATE "C"``), so the
    order is the same everywhere: digits, then Latin and pinyin, by syllable, then tone.
    """
    parts: list[str] = []
    for run in runs(normalise(title)):
        if run.kind == "cjk":
            for han_or_other in _split_han(run.text):
                if HAN.fullmatch(han_or_other):
                    parts.extend(toned_pinyin(han_or_other))
                else:
                    parts.append(han_or_other)
        else:
            parts.append(run.text)
    return " ".join(parts)[:MAX_SORT_KEY]


def _split_han(text: str) -> list[str]:
    pieces, last = [], 0
    for match in HAN.finditer(text):
        if match.start() > last:
            pieces.append(text[last : match.start()])
        pieces.append(match.group())
        last = match.end()
    if last < len(text):
        pieces.append(text[last:])
    return pieces


# -- queries -----------------------------------------------------------------------------------------

Alternative = tuple[str, ...]  # tokens that must all match


@dataclass(frozen=True)
class Group:
    """One word of the query: any one of its alternatives must match (each alternative: all of its tokens).

    :ivar kind: the run it came from: ``cjk``, ``alpha`` or ``digit``.
    :ivar pinyin: alternatives read as pinyin, used only when the index has no such word.
    """

    kind: str
    source: str
    alternatives: tuple[Alternative, ...]
    pinyin: tuple[Alternative, ...] = ()

    def tokens(self) -> set[str]:
        return {token for alternative in (*self.alternatives, *self.pinyin) for token in alternative}


@dataclass(frozen=True)
class ParsedQuery:
    """User text turned into token groups that must all match; backends render it in their own syntax."""

    text: str
    key: str
    groups: tuple[Group, ...]

    @property
    def empty(self) -> bool:
        return not self.groups

    def tokens(self) -> set[str]:
        """Every token any group could match (used to highlight snippets)."""
        return set().union(*(group.tokens() for group in self.groups)) if self.groups else set()


def parse_query(text: str | None) -> ParsedQuery:
    """Turn what a user typed into a :class:`ParsedQuery`; never fails, whatever the input.

    CJK runs need all their bigrams (``食品安全`` → 食品 品安 安全); a lone character matches itself.
    A Latin word matches itself, or (when the index has no such word) its pinyin readings as
    syllable bigrams (``renkou``) or initial bigrams (``rk``, ``rkjc``). Input is cut to
    :data:`MAX_QUERY_CHARS` characters and :data:`MAX_QUERY_GROUPS` words.
    """
    cut = normalise(str(text or "")[: MAX_QUERY_CHARS * 4])[:MAX_QUERY_CHARS]
    groups: list[Group] = []
    seen: set[tuple] = set()
    for run in runs(cut):
        word = run.text if run.kind == "cjk" else run.text[:MAX_WORD]
        if run.kind == "cjk":
            group = Group(run.kind, word, (tuple(dict.fromkeys(cjk_tokens(word, unigrams=False))),))
        elif run.kind == "alpha":
            group = Group(run.kind, word, ((word,),), _pinyin_alternatives(word))
        else:
            group = Group(run.kind, word, ((word,),))
        marker = (group.alternatives, group.pinyin)
        if marker not in seen:
            seen.add(marker)
            groups.append(group)
    return ParsedQuery(cut, key(cut), tuple(groups[:MAX_QUERY_GROUPS]))


def _pinyin_alternatives(word: str) -> tuple[Alternative, ...]:
    if not word.isascii() or len(word) < 2:
        return ()
    alternatives: list[Alternative] = []
    for reading in split_syllables(word):
        pairs = zip(reading, reading[1:], strict=False)
        alternatives.append(tuple(dict.fromkeys(SYLLABLE_BIGRAM + a + b for a, b in pairs)))
    if len(word) <= 8 and not (_VOWELS & set(word[1:])):
        # Initials only: a vowel after the first letter means the user is spelling syllables.
        alternatives.append(tuple(dict.fromkeys(INITIAL_BIGRAM + word[i : i + 2] for i in range(len(word) - 1))))
    return tuple(alternatives)


def prefix_query(text: str | None) -> tuple[ParsedQuery, str | None]:
    """Split what a user is typing into the complete words and the prefix of a last Latin word.

    :returns: the parsed complete words, and the last word when it is Latin and nothing follows it
        (it may still grow: ``renk`` → renkou), else ``None``.
    """
    parsed = parse_query(text)
    if parsed.groups:
        last = parsed.groups[-1]
        if last.kind == "alpha" and parsed.text.endswith(last.source):
            return ParsedQuery(parsed.text, parsed.key, parsed.groups[:-1]), last.source
    return parsed, None


def unique(values: Iterable[str]) -> list[str]:
    """The values in order without repeats."""
    return list(dict.fromkeys(values))
