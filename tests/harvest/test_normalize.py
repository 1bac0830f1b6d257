"""The harvesters' shared normalising helpers: dates with a zone, formats of multi-format datasets, EU themes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from harvesters import normalize as n

EU_THEME = "http://publications.europa.eu/resource/authority/data-theme/"


@pytest.mark.parametrize(("text", "moment"), [
    ("2014-01-15+01:00", datetime(2014, 1, 14, 23, tzinfo=UTC)),  # gco:Date with a zone
    ("2014-01-15-05:00", datetime(2014, 1, 15, 5, tzinfo=UTC)),
    ("2014-01-15", datetime(2014, 1, 15, tzinfo=UTC)),
    ("2024-04-25T02:45:01Z", datetime(2024, 4, 25, 2, 45, 1, tzinfo=UTC)),
    ("2024-04-25 10:45:01+08:00", datetime(2024, 4, 25, 2, 45, 1, tzinfo=UTC)),
    ("mar, 10/12/2019 - 09:23", None),
])
def test_parse_datetime_reads_dates_with_a_zone(text, moment):
    assert n.parse_datetime(text) == moment


@pytest.mark.parametrize(("names", "expected"), [
    (["xml", "json", "xlsx", "csv"], {"class": "2", "type": "2-03"}),  # tabular data, whatever is listed first
    (["application/pdf", "text/csv"], {"class": "2", "type": "2-04"}),
    (["pdf", "MySQL"], {"class": "3", "type": "3-10"}),
    (["pdf", "json"], {"class": "1", "type": "1-08"}),  # no tabular type: the first type
    (["api", "pdf"], {"class": "1", "type": "1-08"}),  # a type wins over a bare class
    (["api"], {"class": "7"}),
    (["shapefile"], None),
])
def test_format_of_prefers_a_tabular_type(container, names, expected):
    assert n.format_of(container.vocab, names) == expected


def test_theme_reads_eu_data_themes_through_close_matches(container):
    vocab = container.vocab
    assert n.theme(vocab, [EU_THEME + "ENVI"]) == vocab.get("theme").find("城乡建设、环境保护").code
    assert n.theme(vocab, [EU_THEME + "TRAN"]) == vocab.get("theme").find("工业、交通").code
    assert n.theme(vocab, [EU_THEME + "OP_DATPRO", "科技、教育"]) == vocab.get("theme").find("科技、教育").code
    assert n.theme(vocab, [EU_THEME + "OP_DATPRO"]) is None
    assert n.theme(vocab, ["ENVI"]) is None  # a bare word is not the EU IRI
