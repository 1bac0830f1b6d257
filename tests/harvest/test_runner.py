"""The runner's rules: conflicts not duplicates, credentials, busy sources, the reaper, due sources; the source service."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from catalog.errors import NotFoundError, PermissionDeniedError, ValidationError
from catalog.models import Resource
from harvesters.models import HarvestJob
from harvesters.runner import HarvestBusyError, due_sources, reap_stuck_jobs
from harvesters.services import HarvestSourceService
from tests.harvest.test_ckan import serve_ckan


def _package(id_, title, **extra):
    return {"id": id_, "name": id_, "title": title, "notes": "说明", "metadata_modified": "2026-01-01T00:00:00",
            "resources": [], "tags": [], **extra}


def test_the_same_record_in_two_sources_is_a_conflict_not_a_duplicate(site, sources, harvest, session, world):
    serve_ckan(site, [_package("p1", "人口数据"), _package("p2", "法人数据")])
    harvest(sources("city", "ckan", site.base))
    result = harvest(sources("district", "ckan", site.base, department="rsj"))
    assert result.job.counts == {"conflict": 2}
    assert result.job.status == "done_with_errors"
    assert "harvests this record already" in result.outcomes[0].message.render("en")
    assert len(session.scalars(select(Resource)).all()) == 2


def test_a_record_naming_a_resource_of_another_department_is_a_conflict(site, sources, harvest, world, session):
    other = world.resource("draft", department="rsj")
    mine = world.resource("draft", department="mzj")
    serve_ckan(site, [_package("p1", "外部门", metadata_id=other.metadata_id),
                      _package("p2", "本部门", metadata_id=mine.metadata_id)])
    result = harvest(sources("claims", "ckan", site.base))
    by_id = {o.remote_id: o for o in result.outcomes}
    assert by_id["p1"].status == "conflict" and "belongs to" in by_id["p1"].message.render("en")
    assert by_id["p2"].status == "updated" and by_id["p2"].resource_id == mine.id  # adopted, not copied
    assert session.get(Resource, mine.id).title == "本部门"


def test_credentials_come_from_the_environment_and_are_never_stored(site, sources, harvest, world):

    def search(path, query):
        return 200, {"Content-Type": "application/json"}, json.dumps(
            {"success": True, "result": {"count": 0, "results": []}}).encode()

    site.handle("/api/3/action/package_search", search)
    with pytest.raises(ValidationError) as info:
        sources("literal", "ckan", site.base, config={"auth_header": "Bearer s3cret"})
    assert "config.auth_header" in info.value.fields
    source = sources("private", "ckan", site.base, config={"auth_header": "env:CKAN_TOKEN"})
    missing = harvest(source, secrets={})
    assert missing.job.status == "failed" and "CKAN_TOKEN" in missing.job.errors[0]["hint"]["en"]
    assert "s3cret" not in json.dumps(missing.job.errors)
    done = harvest(source, secrets={"CKAN_TOKEN": "s3cret"})
    assert done.job.status == "done"
    shown = HarvestSourceService(world.container, world.session, world.actor("admin")).to_json(source)
    assert shown["config"]["auth_header"] == "env:CKAN_TOKEN" and "s3cret" not in json.dumps(shown)


def test_a_running_source_is_busy_and_the_reaper_ends_dead_jobs(site, sources, harvest, session, clock):
    serve_ckan(site, [])
    source = sources("busy", "ckan", site.base)
    job = HarvestJob(source_id=source.id, status="running", started_at=clock(), heartbeat_at=clock(), settings_hash="",
                     total=0, counts={}, errors=[], client="test")
    session.add(job)
    session.flush()
    with pytest.raises(HarvestBusyError):
        harvest(source)
    assert reap_stuck_jobs(session, clock() + timedelta(minutes=10)) == []
    clock.advance(hours=1)
    result = harvest(source)  # the reaper runs first: the dead job is ended, the new one runs
    assert job.status == "timed_out" and "signs of life" in job.errors[0]["message"]["en"]
    assert result.job.status == "done"


def test_due_sources_follow_their_schedule(site, sources, harvest, session, clock):
    serve_ckan(site, [])
    daily = sources("daily", "ckan", site.base, schedule="daily")
    sources("manual", "ckan", site.base)
    assert [s.name for s in due_sources(session, clock())] == ["daily"]
    harvest(daily)
    assert due_sources(session, clock() + timedelta(hours=23)) == []
    assert [s.name for s in due_sources(session, clock() + timedelta(hours=24))] == ["daily"]


def test_changing_the_defaults_makes_the_next_run_full_and_updates_records(site, sources, harvest, world, clock):
    serve_ckan(site, [_package("p1", "人口数据")])
    source = sources("defaults", "ckan", site.base)
    harvest(source)
    service = HarvestSourceService(world.container, world.session, world.actor("admin"))
    service.update(source.name, {"defaults": {"classification_code": "307", "update_cycle": "每年"}})
    clock.advance(days=1)
    result = harvest(source)
    assert result.job.since is None and result.job.counts == {"updated": 1}


def test_source_permissions(world, site):
    def service(role, department="mzj"):
        return HarvestSourceService(world.container, world.session, world.actor(role, department))

    data = {"name": "mzj-ckan", "type": "ckan", "url": "https://data.example.gov.cn", "department": "mzj",
            "defaults": {"classification_code": "307"}}
    with pytest.raises(PermissionDeniedError):
        service("officer", "rsj").create(data)
    with pytest.raises(PermissionDeniedError):
        service("reviewer").create(data)
    source = service("officer").create(data)
    assert service("reviewer").get("mzj-ckan").id == source.id
    assert [s.name for s in service("auditor").list()] == ["mzj-ckan"]
    with pytest.raises(NotFoundError):
        service("officer", "rsj").get("mzj-ckan")
    with pytest.raises(PermissionDeniedError):
        service("reviewer").update("mzj-ckan", {"title": "x"})


@pytest.mark.parametrize(("change", "field"), [
    ({"type": "oai"}, "type"),
    ({"url": "file:///etc/passwd"}, "url"),
    ({"defaults": {}}, "defaults.classification_code"),
    ({"defaults": {"classification_code": "307", "update_cycle": "每两周"}}, "defaults.update_cycle"),
    ({"schedule": "minutely"}, "schedule"),
    ({"config": {"rows": 5000}}, "config.rows"),
])
def test_source_settings_are_checked(world, change, field):
    data = {"name": "bad", "type": "ckan", "url": "https://data.example.gov.cn", "department": "mzj",
            "defaults": {"classification_code": "307"}, **change}
    with pytest.raises(ValidationError) as info:
        HarvestSourceService(world.container, world.session, world.actor("admin")).create(data)
    assert field in info.value.fields, info.value.fields


def test_registry_has_the_built_ins_and_loads_plugins(monkeypatch):
    from harvesters import registry
    from harvesters.ckan import CkanHarvester

    class FakePoint:
        def __init__(self, name, target):
            self.name, self.target = name, target

        def load(self):
            if self.target is None:
                raise ImportError("broken plugin")
            return self.target

    monkeypatch.setattr(registry, "entry_points", lambda group: [
        FakePoint("mine", type("MineHarvester", (CkanHarvester,), {"name": "mine"})),
        FakePoint("ckan", object), FakePoint("broken", None), FakePoint("odd", object)])
    found = registry.available()
    assert {"ckan", "dcat", "spreadsheet", "mine"} <= set(found) and "broken" not in found and "odd" not in found
    assert found["ckan"] is CkanHarvester
    assert registry.get("mine").name == "mine"
    with pytest.raises(registry.UnknownHarvesterError):
        registry.get("oai-pmh")


def test_new_sources_take_the_deployments_withdrawal_grace(world, sources, monkeypatch):
    assert sources("usual", "ckan", "https://a.example").withdraw_after_days == 7
    monkeypatch.setattr(world.container, "settings", replace(world.container.settings, harvest_withdraw_after_days=30))
    assert sources("longer", "ckan", "https://b.example").withdraw_after_days == 30
    assert sources("own", "ckan", "https://c.example", withdraw_after_days=3).withdraw_after_days == 3
