"""Relevance on the demo city: queries a user would type find the resource they mean at the top.

The demo's hand-written catalog (real department names, titles, keywords and items) plus its
synthetic resources as noise; each query below names the resource a person judged to be the answer
(by reading the catalog, not the ranking; where county resources answer as well as the city's, any of
them). A right answer must be the first hit — or among the first three where the query is vaguer.
"""

from __future__ import annotations

import pytest

from catalog.actor import Actor
from catalog.config import Settings
from catalog.container import Container
from catalog.demo.builder import build_demo
from catalog.search import SearchQuery, get_backend
from tests.clitools import throwaway_database

# (query, what a right answer's title contains — one of them, how high one must rank)
JUDGED = [
    ("低保", ("低保", "最低生活保障"), 1),  # the city's 最低生活保障 resource says 低保 in its keywords only
    ("婚姻", "婚姻登记信息", 1),
    ("空气质量", "环境空气质量自动监测数据", 1),
    ("公交", "城区公交线路及站点信息", 1),
    ("学籍", "中小学生学籍信息", 1),
    ("不动产", "不动产登记信息", 1),
    ("传染病", "法定传染病疫情报告信息", 1),
    ("水质", "地表水水质监测数据", 1),
    ("食品安全", "食品安全监督抽检信息", 3),
    ("养老保险", "养老保险参保信息", 1),  # the city's employees' or a county's residents' scheme
    ("文物", "文物保护单位", 1),
    ("旅游景区", "A级旅游景区信息", 1),
    ("派出所", "公安派出所基本信息", 1),
    ("施工许可", "建筑工程施工许可信息", 1),
    ("户籍人口", "户籍人口信息", 1),
    ("遥感影像", "航空航天遥感影像数据", 1),
    ("火化", "遗体火化信息", 1),
    ("shuizhi", "地表水水质监测数据", 1),  # pinyin
    ("hunyin dengji", "婚姻登记信息", 1),  # pinyin, two words
    ("学校 基本信息", "中小学校基本信息", 1),  # two words
    ("ＰＭ２.５", "环境空气质量自动监测数据", 3),  # full-width, found through the items or abstract
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    directory = tmp_path_factory.mktemp("relevance")
    with throwaway_database(directory, "relevance") as url:
        container = Container.from_settings(Settings(instance_path=directory / "instance", database_url=url))
        build_demo(container, password="pw123456")
        yield container
        container.dispose()


@pytest.mark.parametrize(("text", "answer", "within"), JUDGED, ids=[q for q, _, _ in JUDGED])
def test_the_judged_answer_ranks_first(demo, text, answer, within):
    with demo.unit_of_work() as session:
        result = get_backend(demo).search(session, SearchQuery(text=text, size=10), Actor.system("test"))
    titles = [hit.title for hit in result.hits]
    answers = (answer,) if isinstance(answer, str) else answer
    assert any(a in title for title in titles[:within] for a in answers), (text, titles[:5])
