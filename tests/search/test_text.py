"""The tokeniser: CJK bigrams, width and case folding, pinyin tokens and readings, sort keys, query parsing, highlights."""

from __future__ import annotations

import pytest

from catalog.search import highlight as hl
from catalog.search import text as tx


@pytest.mark.parametrize(("text", "unigrams", "expected"), [
    ("人口", False, ["人口"]),
    ("人口", True, ["人", "口", "人口"]),
    ("企业信用", False, ["企业", "业信", "信用"]),
    ("低", False, ["低"]),
    ("ＧＤＰ统计", False, ["gdp", "统计"]),
    ("GB/T 21063—2007", False, ["gb", "t", "21063", "2007"]),
    ("GB21063", False, ["gb", "21063"]),
    ("Ｄａｔａ　Ｍａｐ", False, ["data", "map"]),
    ("《食品安全》（2024年）", False, ["食品", "品安", "安全", "2024", "年"]),
    ("Café Straße", False, ["café", "strasse"]),
    ("データ・カタログ", False, ["デー", "ータ", "カタ", "タロ", "ログ"]),
    ("😀 !!! ' \" \x00 \ud800", False, []),
    ("", False, []),
    (None, False, []),
])
def test_tokens(text, unigrams, expected):
    assert tx.tokens(text, unigrams=unigrams) == expected


def test_long_latin_words_are_cut():
    assert tx.tokens("a" * 500) == ["a" * tx.MAX_WORD]


def test_key_ignores_case_width_spacing_and_punctuation():
    assert tx.key(" ＧＤＰ 统计！") == tx.key("gdp统计") == "gdp统计"


def test_pinyin_tokens_spell_adjacent_characters_and_the_whole():
    assert tx.pinyin_tokens("人口基础") == ["1renkou", "2rk", "1kouji", "2kj", "1jichu", "2jc",
                                          "3renkoujichu", "4rkjc"]
    assert tx.pinyin_tokens("GDP") == []
    assert tx.pinyin_tokens("银行") == ["1yinhang", "2yh", "3yinhang", "4yh"]  # the phrase decides the reading


def test_pinyin_tokens_cannot_collide_with_words():
    # Word tokens split where letters meet digits, so "1renkou" can only come from pinyin.
    assert tx.tokens("1renkou 2rk") == ["1", "renkou", "2", "rk"]


@pytest.mark.parametrize(("word", "readings"), [
    ("renkou", [("ren", "kou")]),
    ("dibao", [("di", "bao")]),
    ("xian", [("xi", "an")]),  # one syllable alone is not a reading; two are
    ("gdp", []),
    ("data", [("da", "ta")]),
    ("人口", []),
])
def test_split_syllables(word, readings):
    assert tx.split_syllables(word)[: len(readings) or None] == readings


def test_syllables_have_vowels():
    assert "n" not in tx.pinyin_syllables() and "ren" in tx.pinyin_syllables() and "lv" in tx.pinyin_syllables()


def test_sort_key_orders_by_pinyin_then_tone():
    titles = ["食品安全", "人口", "企业信用", "GDP统计", "2023年人口", "安全", "阿里"]
    ordered = sorted(titles, key=tx.sort_key)
    assert ordered == ["2023年人口", "阿里", "安全", "GDP统计", "企业信用", "人口", "食品安全"]
    assert tx.sort_key("人口") == "ren2 kou3"
    assert len(tx.sort_key("人" * 500)) == tx.MAX_SORT_KEY
    assert tx.sort_key("人口").isascii()


def test_parse_query_groups_words_and_offers_pinyin_readings():
    parsed = tx.parse_query('企业信用 "GDP" renkou rk 😀')
    assert [g.source for g in parsed.groups] == ["企业信用", "gdp", "renkou", "rk"]
    assert parsed.groups[0].alternatives == (("企业", "业信", "信用"),)
    assert parsed.groups[2].pinyin == (("1renkou",),)
    assert parsed.groups[3].pinyin == (("2rk",),)
    assert parsed.key == "企业信用gdprenkourk"


@pytest.mark.parametrize("text", ["", "   ", "😀", '"', "\x00", "AND OR NOT", "人" * 10_000, "a" * 10_000,
                                  "\ud800", "(((", "{title}:"])
def test_parse_query_never_fails_and_stays_small(text):
    parsed = tx.parse_query(text)
    assert len(parsed.groups) <= tx.MAX_QUERY_GROUPS
    assert len(parsed.text) <= tx.MAX_QUERY_CHARS
    assert all(len(t) <= tx.MAX_WORD for t in parsed.tokens())


def test_prefix_query_keeps_a_latin_last_word_open():
    parsed, last = tx.prefix_query("人口 renk")
    assert [g.source for g in parsed.groups] == ["人口"] and last == "renk"
    parsed, last = tx.prefix_query("人口基")
    assert last is None and parsed.groups[0].alternatives == (("人口", "口基"),)


def test_highlight_marks_folded_matches_and_escapes_the_rest():
    assert hl.highlight("ＧＤＰ<统计>", {"gdp", "统计"}) == "<mark>ＧＤＰ</mark>&lt;<mark>统计</mark>&gt;"
    assert hl.highlight("人口基础信息", {"1renkou"}) == "<mark>人口</mark>基础信息"
    assert hl.highlight("人口基础信息", {"2rk"}) == "<mark>人口</mark>基础信息"
    assert hl.highlight("a&b", set()) == "a&amp;b"


def test_snippet_is_cut_around_the_first_match():
    text = "甲" * 300 + "低保" + "乙" * 300
    snippet = hl.snippet(text, {"低保"}, size=40)
    assert snippet.startswith("…") and snippet.endswith("…") and "<mark>低保</mark>" in snippet
    assert hl.snippet("短文本", {"低保"}) == "短文本"


def test_tsvector_literal_weights_positions_and_quoting():
    from catalog.search.dialects import tsvector_literal

    tokens = {"title": ["人口", "a'b", "c\\d", "人口"], "keywords": ["人口"], "abstract": [], "items": ["x"]}
    assert tsvector_literal(tokens) == "'人口':1A,4A,5B 'a''b':2A 'c\\\\d':3A 'x':6D"
    # Positions stop at PostgreSQL's largest (16383) and a lexeme keeps at most 256 of them.
    many = tsvector_literal({"title": ["y"] * 300, "keywords": [], "abstract": ["z"] * 17000, "items": ["w"]})
    assert many.split(" ")[0].count(",") == 255
    assert many.endswith("'w':16383D")
