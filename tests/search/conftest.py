"""Fixtures of the search tests: the backends under contract and a small catalog built through the services.

The catalog is small enough to know every answer by heart, and covers every facet value the
contract checks, the roles' visibility cases and a ranking ladder (exact title, title, keyword,
abstract, information item).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field

import pytest
from argon2 import PasswordHasher

from catalog.models import Resource
from catalog.search import SearchBackend, backend_class
from tests.catalog.factories import World, advance, build_world, make_department, resource_input

BACKENDS = ("embedded", "elasticsearch")


@pytest.fixture(params=BACKENDS)
def backend(request, container) -> SearchBackend:
    """Every backend under the same contract; Elasticsearch only where a test cluster is given."""
    if request.param == "elasticsearch":
        url = os.environ.get("MULU_TEST_ELASTICSEARCH_URL")
        if not url:
            pytest.skip("set MULU_TEST_ELASTICSEARCH_URL to run the contract on Elasticsearch")
        elasticsearch = pytest.importorskip("elasticsearch")
        # A fresh alias per test, dropped afterwards: tests never see each other's documents.
        cls = backend_class("elasticsearch")
        backend = cls(elasticsearch.Elasticsearch(url), lambda: container.vocab, engine=container.engine,
                      alias=f"mulu-test-{uuid.uuid4().hex[:12]}")
        yield backend
        backend.close()
        backend.drop()
        return
    yield backend_class(request.param).from_settings(container)


@dataclass
class Catalog:
    """The test catalog: the world (departments, users, actors) and resources by a short name."""

    world: World
    resources: dict[str, Resource] = field(default_factory=dict)

    def id(self, name: str) -> int:
        return self.resources[name].id

    def name_of(self, resource_id: int) -> str:
        return next(name for name, r in self.resources.items() if r.id == resource_id)


def _item(name: str) -> dict:
    return {"name": name, "data_type": "C", "length": 50}


OPEN = {"is_open": True, "type": "unconditional"}
CLOSED = {"is_open": False}
UNCONDITIONAL = {"type": "unconditional", "method": "1-3"}
NOT_SHARED = {"type": "not_shared", "basis": "《中华人民共和国保守国家秘密法》", "method": "3"}

# name → (department, state, overrides). Titles and texts are chosen so each query's answer is known.
SPECS: dict[str, tuple[str, str, dict]] = {
    "population": ("mzj", "published", dict(
        title="人口基础信息", abstract="全市户籍人口和常住人口的基本信息。", keywords=["人口", "户籍"],
        classification_code="101", theme="M", share=UNCONDITIONAL, open=OPEN, update_cycle="每日")),
    "credit": ("scj", "published", dict(
        title="企业信用信息", abstract="市场主体的登记、许可和行政处罚信息。", keywords=["企业信用", "信用监管"],
        theme="B", share=UNCONDITIONAL, open=OPEN, update_cycle="每周", format={"class": "电子表格", "type": "xlsx"})),
    "food": ("scj", "published", dict(
        title="食品安全抽检结果", abstract="食品生产经营单位的抽检情况。", keywords=["食品安全", "抽检"],
        theme="F", share=UNCONDITIONAL, open=OPEN)),
    "gdp": ("rsj", "published", dict(
        title="GDP统计数据", abstract="地区生产总值（ＧＤＰ）季度核算 <b>初步</b> 结果。", keywords=["经济"],
        theme="B", share=UNCONDITIONAL, open=OPEN, update_cycle="每季度")),
    # The ranking ladder for 低保: exact title, title, keyword, abstract, information item.
    "dibao_exact": ("mzj", "published", dict(title="低保", abstract="汇总信息。", keywords=["汇总"],
                                              share=UNCONDITIONAL, open=OPEN)),
    "dibao_title": ("mzj", "published", dict(title="低保资金发放明细", abstract="按月发放的资金。",
                                              keywords=["资金"], share=UNCONDITIONAL, open=OPEN)),
    "dibao_keyword": ("mzj", "published", dict(title="社会救助对象名册", abstract="救助对象的名册。",
                                                keywords=["低保", "救助"], share=UNCONDITIONAL, open=OPEN)),
    "dibao_abstract": ("mzj", "published", dict(title="困难群众救助台账", abstract="包括低保、特困等救助对象。",
                                                 keywords=["台账"], share=UNCONDITIONAL, open=OPEN)),
    "dibao_item": ("mzj", "published", dict(title="救助资金明细表", abstract="资金明细。", keywords=["明细"],
                                             items=[_item("姓名"), _item("低保金额")], share=UNCONDITIONAL,
                                             open=OPEN)),
    # Visibility cases.
    "draft": ("mzj", "draft", dict(title="低保边缘家庭草稿", keywords=["低保"])),
    "secret": ("mzj", "published", dict(title="低保审批内部记录", share=NOT_SHARED, open=CLOSED)),
    "shared": ("rsj", "published", dict(title="就业困难人员信息", abstract="享受低保的就业困难人员。",
                                         share={"type": "有条件共享", "condition": "仅限核查", "method": "1-2"},
                                         open=CLOSED)),
    "withdrawn": ("rsj", "withdrawn", dict(title="失业保险金领取人员", share=UNCONDITIONAL, open=OPEN)),
}


@pytest.fixture
def catalog(container, session, monkeypatch, backend) -> Catalog:
    monkeypatch.setattr("catalog.services.user._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    world = build_world(container, session)
    district = make_department(session, "dt-gov", "大通区人民政府", division="340402", kind="government")
    world.scj = make_department(session, "dt-scj", "大通区市场监督管理局", segment="017", division="340402",
                                parent=district)
    catalog = Catalog(world)
    service = world.service("admin")
    for name, (department, state, overrides) in SPECS.items():
        data = resource_input(getattr(world, department), **overrides)
        if "items" not in overrides and data.get("format", {}).get("class") not in ("数据库", "电子表格"):
            data.pop("items", None)
        resource = service.create(data)
        advance(service, resource.id, _path(state))
        catalog.resources[name] = resource
    backend.index(session, [r.id for r in catalog.resources.values()])
    return catalog


def _path(state: str) -> tuple[str, ...]:
    from tests.catalog.factories import WORKFLOW_PATHS

    return WORKFLOW_PATHS[state]
