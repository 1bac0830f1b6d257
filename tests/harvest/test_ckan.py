"""The CKAN harvester on real Action API answers (Birmingham, EnviDat, DKAN) served from 127.0.0.1."""

from __future__ import annotations

import copy
import json
import re

import pytest
from sqlalchemy import func, select

from catalog.models import Resource
from harvesters.ckan import CkanHarvester, api_base
from harvesters.models import HarvestLink, HarvestRecord
from tests.catalog.factories import resource_input


def _packages(fixtures_dir, name: str) -> list[dict]:
    return json.loads((fixtures_dir / name / "package_search.json").read_text(encoding="utf-8"))["result"]["results"]


def serve_ckan(site, packages: list[dict]) -> str:
    """A CKAN Action API over ``packages`` honouring rows, start, fq=metadata_modified:[X TO *] and fl."""

    def package_search(path, query):
        rows, start = int(query.get("rows", 10)), int(query.get("start", 0))
        found = sorted(packages, key=lambda p: p["id"])
        since = re.search(r"metadata_modified:\[(\S+)Z TO \*\]", query.get("fq", ""))
        if since:
            found = [p for p in found if p["metadata_modified"] >= since.group(1)]
        page = found[start:start + rows]
        if "fl" in query:
            page = [{k: p[k] for k in ("id", "name", "metadata_modified")} for p in page]
        body = {"success": True, "result": {"count": len(found), "results": page}}
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    site.handle("/api/3/action/package_search", package_search)
    return site.base


@pytest.fixture
def birmingham(fixtures_dir):
    return _packages(fixtures_dir, "ckan-birmingham")


def test_api_base_accepts_any_spelling_of_the_site():
    for url in ("https://d.example", "https://d.example/", "https://d.example/api/3/action",
                "https://d.example/api/3/action/package_search", "https://d.example/api/3"):
        assert api_base(url) == "https://d.example/api/3/action"


def test_harvests_birmingham_in_pages_and_nothing_new_on_the_second_run(site, sources, harvest, session, world,
                                                                          birmingham):
    url = serve_ckan(site, birmingham)
    source = sources("birmingham", "ckan", url, config={"rows": 3})
    result = harvest(source)
    assert result.job.status == "done", result.job.errors
    assert result.job.counts == {"created": 10}
    searches = [r for r in site.requests if "package_search" in r]
    assert len(searches) == 4 and "start=9" in searches[-1]  # 3 + 3 + 3 + 1, no extra page
    resources = session.scalars(select(Resource).where(Resource.department_id == world.mzj.id)).all()
    assert len(resources) == 10
    first = next(r for r in resources if r.title == "Purchase Card Transactions")
    assert first.status == "draft" and first.classification_code == "307015"
    assert first.format_class == "2" and first.distributions[0].url.startswith("https://data.birmingham.gov.uk/")
    assert first.open_is_open is True and first.open_type == "unconditional"
    assert "<" not in first.abstract

    again = harvest(source)
    assert again.job.status == "done"
    assert again.job.counts == {"unchanged": 10}
    assert session.scalars(select(HarvestRecord).where(HarvestRecord.job_id == again.job.id)).all() == []


def test_incremental_run_asks_only_for_changes_and_still_sees_every_id(site, sources, harvest, clock, session,
                                                                        birmingham):
    packages = copy.deepcopy(birmingham)
    serve_ckan(site, packages)
    source = sources("inc", "ckan", site.base)
    harvest(source)
    clock.advance(days=1)
    packages[0]["title"] = "Purchase Card Transactions (corrected)"
    packages[0]["metadata_modified"] = "2026-11-01T12:00:00"
    site.requests.clear()
    result = harvest(source)
    assert result.job.since is not None
    assert result.job.counts == {"updated": 1, "unchanged": 9}, result.job.counts  # the id listing repeats it
    assert any("metadata_modified" in r for r in site.requests)
    assert session.scalars(select(Resource).where(Resource.title.like("%corrected%"))).first() is not None
    assert not any(o.status in ("gone", "withdrawn") for o in result.outcomes)


def test_records_gone_upstream_are_withdrawn_after_the_grace_period(site, sources, harvest, clock, session, world,
                                                                    birmingham):
    packages = copy.deepcopy(birmingham)
    serve_ckan(site, packages)
    source = sources("gone", "ckan", site.base, withdraw_after_days=7, config={"incremental": False})
    harvest(source)
    service = world.service("admin")
    kept = session.scalars(select(HarvestLink).where(HarvestLink.remote_id == packages[1]["id"])).one()
    # People complete the harvested draft (information items …) and publish it.
    service.update(kept.resource_id, resource_input(world.mzj))
    for action in ("submit", "register", "request_publication", "publish"):
        service.transition(kept.resource_id, action, comment="测试")
    dropped = [packages.pop(0), packages.pop(0)]

    clock.advance(days=1)
    marked = harvest(source)
    assert marked.job.counts == {"unchanged": 8, "gone": 2}
    assert all(session.get(Resource, r).status in ("draft", "published") for r in
               [kept.resource_id])

    clock.advance(days=7)
    swept = harvest(source)
    assert swept.job.counts == {"unchanged": 8, "deleted": 1, "withdrawn": 1}, swept.job.counts
    assert session.get(Resource, kept.resource_id).status == "withdrawn"
    assert session.scalars(select(HarvestLink).where(HarvestLink.remote_id == dropped[0]["id"])).first() is None

    packages.extend(dropped)  # a record that comes back is harvested again as a new draft
    clock.advance(days=1)
    back = harvest(source)
    assert back.job.counts.get("created") == 1


def test_a_server_that_ignores_start_stops_paging_and_withdraws_nothing(site, sources, harvest, fixtures_dir):
    # EnviDat's answer says count 858 but holds 2 packages; served for every start, it never ends.
    site.add("/api/3/action/package_search", (fixtures_dir / "ckan-envidat" / "package_search.json").read_bytes())
    source = sources("envidat", "ckan", site.base, config={"rows": 2})
    result = harvest(source)
    assert result.job.counts == {"created": 2}
    assert result.job.status == "done_with_errors"
    assert "paging stopped" in result.job.errors[0]["message"]["en"]
    assert len([r for r in site.requests if "package_search" in r]) == 2


def test_dkan_package_show_answers_a_list(site, sources, harvest, session, fixtures_dir):
    body = (fixtures_dir / "udata" / "ckan" / "dkan-french-w-license.json").read_bytes()
    site.add("/api/3/action/package_show", body)
    source = sources("dkan", "ckan", site.base, config={"datasets": ["04be6288-696d-4331-850d-a144871a7e3a"]})
    result = harvest(source)
    assert result.job.status == "done", result.job.errors
    resource = session.get(Resource, result.outcomes[0].resource_id)
    assert resource.title.startswith("Antennes régionales")
    assert resource.abstract.startswith("Liste et coordonnées")  # HTML stripped
    assert {d.url for d in resource.distributions} >= {
        "https://sig.hautsdefrance.fr/ext/mv/?config=antenne_regionale.xml#"}


def test_multilingual_package_prefers_chinese_then_english(container, fixtures_dir):
    package = json.loads((fixtures_dir / "ckanext-dcat" / "ckan" / "ckan_dataset_multilingual.json").read_text())
    harvester = _harvester(container)
    data = harvester.map(_record(package))
    assert data["title"] == "Test DCAT dataset" and data["keywords"] == ["Oaks", "Pines"]
    package["title_translated"]["zh"] = "测试数据集"
    package["tags_translated"]["zh_CN"] = ["橡树"]
    data = harvester.map(_record(package))
    assert data["title"] == "测试数据集" and data["keywords"] == ["橡树"]


def test_scheming_frequency_becomes_an_update_cycle(container, fixtures_dir):
    package = json.loads((fixtures_dir / "ckanext-dcat" / "ckan" / "ckan_full_dataset_dcat_ap.json").read_text())
    assert _harvester(container).map(_record(package))["update_cycle"] == "4"  # "monthly" → 每月


def test_one_bad_record_fails_alone_with_its_url_and_a_hint(site, sources, harvest, session, birmingham):
    packages = copy.deepcopy(birmingham)
    packages[3]["title"] = ""
    serve_ckan(site, packages)
    source = sources("bad-title", "ckan", site.base)
    result = harvest(source)
    assert result.job.status == "done_with_errors"
    assert result.job.counts == {"created": 9, "error": 1}
    row = session.scalars(select(HarvestRecord).where(HarvestRecord.status == "error")).one()
    assert row.url.endswith(f"/dataset/{packages[3]['name']}")
    assert "title" in row.fields and row.fields["title"]["zh_CN"][0].startswith("信息资源名称")
    assert row.hint["en"]


def test_malformed_json_fails_the_job_and_changes_nothing(site, sources, harvest, session):
    site.add("/api/3/action/package_search", b'{"success": true, "result": {"count": 1, "results": [}')
    source = sources("broken", "ckan", site.base)
    before = session.scalars(select(Resource)).all()
    result = harvest(source)
    assert result.job.status == "failed"
    assert "not valid JSON" in result.job.errors[0]["message"]["en"]
    assert "不是有效的 JSON" in result.job.errors[0]["message"]["zh_CN"]
    assert session.scalars(select(Resource)).all() == before


def test_dry_run_previews_and_writes_nothing(site, sources, harvest, session, birmingham):
    serve_ckan(site, birmingham)
    source = sources("preview", "ckan", site.base)
    result = harvest(source, dry_run=True, max_items=4)
    assert result.job.id is None and result.job.counts == {"created": 4}
    assert len(result.outcomes) == 4
    assert session.scalars(select(Resource)).all() == []
    assert session.scalars(select(HarvestLink)).all() == []


def test_max_items_stops_early_and_keeps_everything_else(site, sources, harvest, birmingham, session):
    serve_ckan(site, birmingham)
    source = sources("few", "ckan", site.base, withdraw_after_days=0, config={"incremental": False})
    harvest(source)
    result = harvest(source, max_items=3)
    assert result.job.counts == {"unchanged": 3}
    assert len(session.scalars(select(HarvestLink)).all()) == 10  # a cut-short listing withdraws nothing


def _harvester(container):
    from harvesters.base import HarvestContext

    return CkanHarvester(HarvestContext(url="https://x.example", config=CkanHarvester.load_config({}), http=None,
                                        vocab=container.vocab, profile=container.profile))


def _record(package):
    from harvesters.base import RemoteRecord

    return RemoteRecord(package.get("id") or package["name"], package)


def test_a_remote_change_to_a_completed_published_resource_keeps_local_items(site, sources, harvest, session, world,
                                                                             birmingham, clock):
    packages = copy.deepcopy(birmingham)
    serve_ckan(site, packages)
    source = sources("merge", "ckan", site.base)
    harvest(source)
    link = session.scalars(select(HarvestLink).where(HarvestLink.remote_id == packages[0]["id"])).one()
    service = world.service("admin")
    service.update(link.resource_id, resource_input(world.mzj, title="Purchase Card Transactions"))
    for action in ("submit", "register", "request_publication", "publish"):
        service.transition(link.resource_id, action, comment="测试")
    packages[0]["notes"] = "Updated upstream."
    packages[0]["metadata_modified"] = "2026-11-01T12:00:00"
    clock.advance(days=1)
    result = harvest(source)
    assert result.job.counts.get("updated") == 1, result.outcomes
    change = service.pending_change(link.resource_id)
    assert change.data["abstract"] == "Updated upstream."
    assert [item["name"] for item in change.data["items"]] == ["姓名", "身份证号码", "保障金额"]


# An opendata.swiss-style package (ckanext-fluent): language dicts in title, description, keywords and the
# resources' name, and notes holding the JSON text of a dict of empty strings. Written for this test.
FLUENT_PACKAGE = {
    "id": "5f0c6e1a-0000-4000-8000-000000000001",
    "name": "parkplaetze",
    "metadata_modified": "2024-02-28T02:00:18.615461+01:00",
    "title": {"de": "Parkplätze an Bahnhöfen", "fr": "Places de parc", "en": "Car parks at stations", "it": ""},
    "notes": '{"de": "", "en": "", "fr": "", "it": ""}',
    "description": {"de": "Parkplätze der Bahnhöfe.", "en": "Car parks of the stations, daily.", "fr": "", "it": ""},
    "keywords": {"de": ["Parkplatz"], "en": ["parking", "rail"], "fr": [], "it": []},
    "tags": [{"name": "parking"}, {"name": "Parkplatz"}, {"name": "rail"}],
    "groups": [{"name": "mobility", "title": {"de": "Mobilität", "en": "Mobility"}}],
    "accrual_periodicity": "freq:daily",
    "resources": [{"name": {"de": "Parkplätze (JSON)", "en": "Car parks (JSON)"},
                   "description": {"de": "", "en": "One file a day."}, "format": "JSON",
                   "url": "https://data.example.ch/parking.json"}],
}


def test_language_dicts_of_fluent_portals_are_read_in_english_when_no_chinese(site, sources, harvest, session,
                                                                              container):
    # Before: pick_language met a dict and the record failed with "TypeError: expected string … got 'dict'".
    serve_ckan(site, [FLUENT_PACKAGE])
    result = harvest(sources("fluent", "ckan", site.base))
    assert result.job.status == "done", result.outcomes
    resource = session.get(Resource, result.outcomes[0].resource_id)
    assert resource.title == "Car parks at stations"
    assert resource.abstract == "Car parks of the stations, daily."  # notes is empty: description is the text
    assert [(d.title, d.description) for d in resource.distributions] == [("Car parks (JSON)", "One file a day.")]
    data = _harvester(container).map(_record(FLUENT_PACKAGE))
    assert data["keywords"] == ["parking", "rail"] and data["update_cycle"] == "2"
    package = {**FLUENT_PACKAGE, "title": {**FLUENT_PACKAGE["title"], "zh": "火车站停车场"}}
    assert _harvester(container).map(_record(package))["title"] == "火车站停车场"


@pytest.mark.parametrize(("fields", "cycle"), [
    ({"update_freq": "quarterly"}, "5"),  # data.gov.au
    ({"data_update_frequency": "90"}, "5"),  # HDX counts days
    ({"data_update_frequency": "7"}, "3"),
    ({"accrual_periodicity": "freq:daily"}, "2"),  # opentransportdata.swiss
    ({"extras": [{"key": "accrualPeriodicity", "value": "R/P1Y"}]}, "7"),  # data.gov (DCAT-US)
    ({"frequency": {"en": "monthly"}, "update_frequency": "monthly"}, "4"),  # a dict is not a frequency
])
def test_frequencies_under_the_keys_and_spellings_of_other_portals(container, fields, cycle):
    package = {"id": "f1", "title": "Frequency", **fields}
    assert _harvester(container).map(_record(package)).get("update_cycle") == cycle


def test_geodata_and_service_formats_find_their_class(container):
    harvester = _harvester(container)
    maps = {"resources": [{"format": "WMS"}, {"format": "GeoJSON"}]}  # data.gov.au, data.wa.gov.au
    assert harvester.map(_record({"id": "g1", "title": "Map", **maps}))["format"] == {"class": "1", "type": "1-11"}
    services = {"resources": [{"format": "WFS"}, {"format": "API ArcGIS Server Map Service"}, {"format": "SHP"}]}
    assert harvester.map(_record({"id": "g2", "title": "Service", **services}))["format"] == {"class": "7"}


def test_an_answer_without_the_envelope_is_the_package_itself(site, sources, harvest, session):
    package = {"id": "b1", "name": "bare", "title": "Bare package", "metadata_modified": "2022-12-19T12:51:37",
               "resources": [{"name": "Data", "format": "CSV", "url": "https://data.example.org/bare.csv"}]}
    site.add("/api/3/action/package_show", package)  # stored or relayed without {"success", "result"}
    shown = harvest(sources("bare-show", "ckan", site.base, config={"datasets": ["b1"]}))
    assert shown.job.status == "done", shown.outcomes
    assert session.get(Resource, shown.outcomes[0].resource_id).title == "Bare package"

    other = site.base + "/other"
    site.add("/other/api/3/action/package_search", {"count": 1, "results": [{**package, "id": "b2"}]})
    listed = harvest(sources("bare-search", "ckan", other))
    assert listed.job.counts == {"created": 1}, listed.job.errors

    site.add("/wrong/api/3/action/package_search", {"data": []})  # still not a CKAN answer
    wrong = harvest(sources("not-ckan", "ckan", site.base + "/wrong"))
    assert wrong.job.status == "failed"
    assert "is not a CKAN API answer" in wrong.job.errors[0]["message"]["en"]


def test_harvest_source_packages_are_skipped_with_a_reason(site, sources, harvest, session):
    dataset = {"id": "d1", "name": "budget", "title": "Budget", "type": "dataset"}
    source = {"id": "h1", "name": "agency-data-json", "title": "Agency data.json", "type": "harvest",
              "source_type": "datajson", "url": "https://agency.example.gov/data.json"}
    site.add("/api/3/action/package_search", {"success": True, "result": {"count": 2, "results": [dataset, source]}})
    result = harvest(sources("with-harvest-sources", "ckan", site.base))
    assert result.job.counts == {"created": 1, "skipped": 1}, result.job.errors
    skipped = next(o for o in result.outcomes if o.remote_id == "h1")
    assert "agency-data-json is a harvest record of the remote CKAN" in skipped.message.render("en")
    assert "不是数据集" in skipped.message.render("zh")
    assert session.scalar(select(func.count()).select_from(Resource)) == 1
