"""Metadata quality: each component on crafted resources, the documented weights, and the roll-ups."""

from __future__ import annotations

from datetime import timedelta

import pytest

from catalog.coverage.links import BROKEN_AFTER, record_result
from catalog.coverage.quality import WEIGHTS, obligation_fields
from catalog.coverage.quality_service import QualityService
from catalog.db import utcnow
from catalog.errors import PermissionDeniedError
from catalog.models import Distribution

URL = "https://data.huainan.example/files/quality-test.xlsx"


def report(world, role="auditor", **kwargs):
    return QualityService(world.container, world.session, world.actor(role)).report(**kwargs)


def scored(world, resource_id, **kwargs):
    return next(r for r in report(world, **kwargs).resources if r.id == resource_id)


def test_the_weights_sum_to_100():
    assert sum(WEIGHTS.values()) == 100


def test_the_profile_decides_which_fields_are_mandatory_and_recommended(container):
    fields = obligation_fields(container.profile)
    assert fields["M"] == ["classification_code", "title", "department", "abstract", "format.class", "share.type",
                           "open.is_open", "update_cycle", "theme", "keywords", "data_scope", "secrecy"]
    assert fields["R"] == ["format.type", "source_system"]


def test_a_complete_resource_scores_100_without_pretending_links_were_checked(world):
    resource = world.resource("published")
    quality = scored(world, resource.id)
    assert quality.score == 100
    states = {name: c.state for name, c in quality.components.items()}
    assert states["links"] == "not_applicable"  # no online link at all
    assert all(state == "measured" for name, state in states.items() if name != "links")


def test_missing_fields_and_unknown_codes_lower_the_score(world):
    resource = world.resource("published")
    resource.extras = {**resource.extras, "source_system": None}
    resource.format_type = None
    resource.update_cycle = "99"  # e.g. a code dropped from a replaced vocabulary
    world.session.flush()
    quality = scored(world, resource.id)
    components = quality.components
    assert components["recommended"].value == 0 and set(components["recommended"].problems) == {"format.type",
                                                                                                 "source_system"}
    assert components["vocabulary"].problems == ("update_cycle=99",)
    assert components["timeliness"].state == "not_applicable"  # an unknown cycle has no maxDays
    measured = {n: c for n, c in components.items() if c.state == "measured"}
    expected = 100 * sum(WEIGHTS[n] * c.value for n, c in measured.items()) / sum(WEIGHTS[n] for n in measured)
    assert quality.score == pytest.approx(expected) and quality.score < 100


def test_rules_items_and_timeliness(world):
    resource = world.resource("published")
    resource.share_condition = None  # 有条件共享 without its condition (e.g. harvested that way)
    resource.items = []  # a database without information items
    resource.updated_at = utcnow() - timedelta(days=40)  # monthly cycle: 31 days at most
    world.session.flush()
    components = scored(world, resource.id).components
    assert components["rules"].value == 0 and components["rules"].problems == ("share.condition",)
    assert components["items"].value == 0
    assert components["timeliness"].value == 0 and "> 31 days" in components["timeliness"].problems[0]


def test_links_are_not_measured_until_checked_then_count(world):
    resource = world.resource("published")
    resource.distributions = [Distribution(position=0, kind="file", title="下载", url=URL)]
    world.session.flush()
    quality = scored(world, resource.id)
    assert quality.components["links"].state == "not_measured" and quality.not_measured == ["links"]
    assert quality.score == 100  # the weight of an unmeasured component is left out, not counted as full
    for _ in range(BROKEN_AFTER):
        record_result(world.session, URL, ok=False, error="timeout")
    quality = scored(world, resource.id)
    assert quality.components["links"].value == 0 and quality.components["links"].problems == (URL,)
    assert quality.score == pytest.approx(100 * (100 - WEIGHTS["links"]) / 100)


def test_drafts_are_left_out_unless_asked_and_departments_roll_up(world):
    good = world.resource("published")
    draft = world.service("admin").create({"title": "草稿", "classification_code": "307", "department": "mzj"})
    result = report(world)
    assert {r.id for r in result.resources} == {good.id}
    with_drafts = report(world, include_drafts=True)
    low = next(r for r in with_drafts.resources if r.id == draft.id)
    assert low.score < 100 and "abstract" in low.components["mandatory"].problems
    departments = {d.key: d.rollup for d in with_drafts.departments}
    assert departments["mzj"].resources == 2
    assert departments["mzj"].score == pytest.approx((100 + low.score) / 2)
    assert departments["rsj"].resources == 0 and departments["rsj"].score is None
    assert with_drafts.city.score == pytest.approx((100 + low.score) / 2)
    data = with_drafts.to_dict()
    assert data["weights"] == WEIGHTS and {d["key"] for d in data["departments"]} >= {"mzj", "rsj"}


def test_who_may_read_quality(world):
    world.resource("published")
    with pytest.raises(PermissionDeniedError):
        report(world, "officer")
    own = QualityService(world.container, world.session, world.actor("officer")).report(department_id=world.mzj.id)
    assert [d.key for d in own.departments] == ["mzj"]
