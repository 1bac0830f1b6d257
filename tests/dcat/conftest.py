"""Fixtures of the DCAT tests: a populated world, resources covering every field, the catalog description."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from catalog.dcat import CatalogInfo
from tests.catalog.factories import World, build_world

INFO = CatalogInfo(
    base_uri="https://data.huainan.example/",
    title={"zh": "淮南市政务信息资源目录", "en": "Huainan government information resource catalog"},
    description={"zh": "淮南市各政务部门的政务信息资源目录。", "en": "The catalog of Huainan's government bodies."},
    publisher_name={"zh": "淮南市数据资源管理局", "en": "Huainan Data Resources Administration"},
    homepage="https://data.huainan.example/",
)

FULL = {
    "provider_unit": "社会救助科",
    "format": {"class": "数据库", "type": "oracle", "description": "Oracle 19c 库表"},
    "items": [
        {"name": "姓名", "data_type": "C", "length": 50, "description": "对象姓名"},
        {"name": "身份证号码", "data_type": "C", "length": 18, "share_type": "有条件共享",
         "share_condition": "仅限核查", "is_open": False},
        {"name": "保障金额", "data_type": "N", "length": 10, "description": "元/月", "is_open": True},
    ],
    "share": {"type": "有条件共享", "condition": "仅限民政、人社部门核查使用", "method": "1-2"},
    "open": {"is_open": "是", "type": "有条件开放", "condition": "申请后开放"},
    "update_cycle": "每月",
    "theme": "R",
    "keywords": ["低保", "社会救助", "民生"],
    "keyword_thesaurus": "淮南市政务主题词表",
    "metadata_maintainer": "淮南市民政局信息中心",
    "related_codes": ["30701501/000001"],
    "distributions": [
        {"kind": "link", "title": "下载页面", "url": "https://data.huainan.example/files/dibao.html",
         "media_type": "text/html", "description": "门户下载页"},
        {"kind": "service", "title": "低保查询接口", "url": "https://api.huainan.example/dibao",
         "service_type": "REST", "media_type": "application/json"},
        {"kind": "file", "title": "年度汇总表", "url": "https://data.huainan.example/files/dibao.xlsx",
         "media_type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        {"kind": "table", "title": "T_DIBAO", "media_type": "Oracle 表"},
    ],
    "source_system": "社会救助信息系统",
    "record_count": 12000,
    "data_scope": "2",
}


@pytest.fixture
def world(container, session, monkeypatch) -> World:
    monkeypatch.setattr("catalog.services.user._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    return build_world(container, session)


@pytest.fixture
def info() -> CatalogInfo:
    return INFO


@pytest.fixture
def resources(world) -> list[dict]:
    """Resource JSON of three resources: published with every field, registered minimal, draft without a code."""
    service = world.service("admin")
    full = world.resource("published", **FULL)
    minimal = world.resource("registered", department="rsj", theme="S", update_cycle="不定期",
                             open={"is_open": "否"}, share={"type": "不予共享", "basis": "《个人信息保护法》第十三条"})
    draft = world.resource("draft", title="未注册的资源")
    return [service.to_json(service.get(r.id)) for r in (full, minimal, draft)]
