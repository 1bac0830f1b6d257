"""The spreadsheet harvester: the national template (XLSX, CSV) and mapped exports of Chinese portals."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import select

from catalog.models import Resource
from catalog.tabular import write_rows
from catalog.template import resource_to_rows, template_columns
from catalog.template_workbook import write_workbook
from harvesters.models import HarvestRecord
from tests.catalog.factories import resource_input

NJU = "china-opendata-nju"


def _template_rows(world, titles):
    """Resource JSON of complete resources, as another department's system would fill the template."""
    service = world.service("admin")
    rows = []
    for title in titles:
        resource = service.create(resource_input(world.rsj, title=title))
        data = service.to_json(resource)
        for key in ("metadata_id", "code", "id"):
            data.pop(key, None)
        rows.append(data)
        service.delete_draft(resource.id)
    return rows


def test_national_template_xlsx(world, site, sources, harvest, session, container):
    buffer = io.BytesIO()
    write_workbook(buffer, container.profile, container.vocab, _template_rows(world, ["低保对象名册", "特困人员名册"]))
    url = site.add("/inventory.xlsx", buffer.getvalue(),
                   content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    source = sources("mzj-sheet", "spreadsheet", url)
    result = harvest(source)
    assert result.job.status == "done", (result.job.errors, result.outcomes)
    assert result.job.counts == {"created": 2}
    resource = session.scalars(select(Resource).where(Resource.title == "低保对象名册")).one()
    assert resource.department_id == world.mzj.id  # the source's department, whatever the sheet says
    assert [item.name for item in resource.items] == ["姓名", "身份证号码", "保障金额"]
    assert resource.share_type == "conditional" and resource.update_cycle == "4"
    assert harvest(source).job.counts == {"unchanged": 2}


def test_national_template_csv_lands_registered_for_a_trusted_source(world, site, sources, harvest, session, container):
    columns = template_columns(container.profile)
    rows = [row for data in _template_rows(world, ["救助资金发放明细"]) for row in resource_to_rows(data, columns, container.vocab)]
    buffer = io.BytesIO()
    write_rows(buffer, ["序号", *[c.header for c in columns]], [[1, *row] for row in rows], format="csv")
    url = site.add("/inventory.csv", buffer.getvalue(), content_type="text/csv")
    result = harvest(sources("trusted-sheet", "spreadsheet", url, trusted=True))
    assert result.job.counts == {"created": 1}, result.outcomes
    resource = session.get(Resource, result.outcomes[0].resource_id)
    # The sheet's full 分类码 (written by 人社局's system) wins over the source's default 类+项.
    assert resource.status == "registered" and resource.code.startswith("307016/")


def test_a_sheet_that_is_not_the_template_fails_clearly(fixtures_dir, site, sources, harvest):
    # A DCAT key/value sheet (tenforce): none of the national template's headings.
    url = site.add("/meta.csv", (fixtures_dir / "spreadsheets/tenforce-dcat-ap-pipeline/datasetMetadata.csv").read_bytes(),
                   content_type="text/csv")
    result = harvest(sources("tenforce", "spreadsheet", url))
    assert result.job.status == "failed", (result.job.errors, result.outcomes)
    assert "none of the template's columns" in result.job.errors[0]["message"]["en"]


def _mapping(fixtures_dir, path):
    return json.loads((fixtures_dir / NJU / path).read_text(encoding="utf-8"))


def test_hefei_portal_export_with_its_mapping_file(fixtures_dir, site, sources, harvest, session):
    url = site.add("/hefei.json", (fixtures_dir / NJU / "tamakow/metadata/anhui_hefei.json").read_bytes())
    columns = _mapping(fixtures_dir, "tamakow/mapping/anhui_hefei_mapping.json")
    source = sources("hefei", "spreadsheet", url, config={"columns": columns, "only_departments": ["合肥市自然资源和规划局"]})
    result = harvest(source)
    assert result.job.status == "done", result.job.errors
    assert result.job.counts == {"created": 21, "skipped": 300}
    resource = session.get(Resource, next(o.resource_id for o in result.outcomes if o.status == "created"))
    assert resource.open_is_open is True and resource.open_type == "unconditional"
    assert resource.update_cycle in ("7", "9")  # 每年, or 每两年 → 其他
    assert resource.distributions[0].url.startswith("https://www.hefei.gov.cn/")
    assert resource.format_class in ("1", "2")
    skipped = session.scalars(select(HarvestRecord).where(HarvestRecord.status == "skipped")).first()
    assert "does not harvest" in skipped.message["en"]
    assert harvest(source).job.counts == {"unchanged": 21, "skipped": 300}


def test_luan_portal_export_maps_tags_volume_and_formats(fixtures_dir, site, sources, harvest, session):
    url = site.add("/luan.json", (fixtures_dir / NJU / "cqsss/data/anhui_luan.json").read_bytes())
    columns = _mapping(fixtures_dir, "cqsss/mapping/anhui_luan.json")
    result = harvest(sources("luan", "spreadsheet", url, config={"columns": columns, "only_departments": ["六安市公安局"]}))
    assert result.job.counts.get("created") == 40, (result.job.counts, result.outcomes[:3])
    resources = [session.get(Resource, o.resource_id) for o in result.outcomes if o.status == "created"]
    assert all(r.format_class == "2" for r in resources)  # ['xls', …] → 电子表格
    assert any(r.extras.get("record_count") for r in resources)
    assert all(r.keywords for r in resources)


def test_an_inflating_workbook_is_refused(site, sources, harvest):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    url = site.add("/bomb.xlsx", buffer.getvalue(), content_type="application/octet-stream")
    result = harvest(sources("bomb", "spreadsheet", url, config={"max_bytes": 1024 * 1024}))
    assert result.job.status == "failed"
    assert "unpacks to" in result.job.errors[0]["message"]["en"]


@pytest.mark.parametrize(("text", "expected"), [
    ("['xls', 'api']", ["xls", "api"]), ("[xls]", ["xls"]), (["file"], ["file"]), ("a、b,c", ["a", "b", "c"]),
    ("商贸流通\r\n\t公共管理", ["商贸流通", "公共管理"]), ("", []),
])
def test_lists_written_as_text_in_portal_exports(text, expected):
    from harvesters.normalize import text_list

    assert text_list(text) == expected
