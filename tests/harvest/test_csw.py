"""The CSW harvester: captured GetRecords answers (pycsw, GeoNetwork, INSPIRE, ckanext-spatial) served locally,
then a real pycsw 2.6.2 server in its own virtualenv."""

from __future__ import annotations

import re
import shutil
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from catalog.models import Resource
from harvesters.base import HarvestContext
from harvesters.csw import CswHarvester, get_records_body
from harvesters.registry import get
from harvesters.xml import parse_xml

ENVELOPE = (b'<?xml version="1.0" encoding="UTF-8"?><csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" '
            b'version="2.0.2"><csw:SearchResults numberOfRecordsMatched="%d" numberOfRecordsReturned="%d" nextRecord="0" '
            b'elementSet="full">%s</csw:SearchResults></csw:GetRecordsResponse>')


def _records(*documents: bytes) -> bytes:
    """A GetRecords answer holding whole ISO records (their XML declarations removed)."""
    bodies = [re.sub(rb"^\s*<\?xml[^>]*\?>", b"", doc) for doc in documents]
    return ENVELOPE % (len(bodies), len(bodies), b"".join(bodies))


def _serve(site, pages: dict[int, bytes], path: str = "/csw") -> str:
    """Serve GetRecords pages by startPosition, from the KVP query or the POSTed XML."""

    def handler(path, params):
        if "startPosition" in params:
            start = int(params["startPosition"])
        else:
            start = int(re.search(rb'startPosition="(\d+)"', site.bodies[-1]).group(1))
        body = pages.get(start)
        if body is None:
            return 404, {"Content-Type": "text/plain"}, b"no such page"
        return 200, {"Content-Type": "application/xml"}, body

    return site.handle(path, handler)


def _next(body: bytes, value: int) -> bytes:
    return re.sub(rb'nextRecord="\d+"', b'nextRecord="%d"' % value, body, count=1)


def test_registered():
    assert get("csw") is CswHarvester


def test_pycsw_dublin_core_pages_and_a_record_without_title(fixtures_dir, site, sources, harvest, session):
    # pycsw's own expected answers: records 1–5 (nextRecord 6), then the last page (nextRecord 0).
    first = (fixtures_dir / "pycsw/default-expected/post_GetRecords-all.xml").read_bytes()
    end = (fixtures_dir / "pycsw/default-expected/post_GetRecords-end.xml").read_bytes()
    url = _serve(site, {1: first, 6: end})
    source = sources("pycsw-dc", "csw", url, config={"output_schema": "dc", "max_records": 5})
    result = harvest(source)
    assert result.job.counts == {"created": 6, "error": 2}, result.job.errors
    assert result.job.status == "done_with_errors"
    by_id = {o.remote_id: o for o in result.outcomes}
    # urn:uuid:1ef30a8b… is a csw:Record without a dc:title: its own error, the page goes on.
    untitled = by_id["urn:uuid:1ef30a8b-876d-4828-9246-c37ab4510bbd"]
    assert untitled.status == "error" and "GetRecordById" in untitled.url and "1ef30a8b" in untitled.url
    assert len(site.bodies) == 2
    assert b'startPosition="1"' in site.bodies[0] and b'startPosition="6"' in site.bodies[1]
    assert b'outputSchema="http://www.opengis.net/cat/csw/2.0.2"' in site.bodies[0]
    created = session.get(Resource, by_id["urn:uuid:19887a8a-f6b0-4a63-ae56-7fba0e17801f"].resource_id)
    assert created.title == "Lorem ipsum" and created.status == "draft"
    second = harvest(source)
    assert second.job.counts == {"unchanged": 6, "error": 2}


def test_iso_19139_answer_from_pycsw_apiso(fixtures_dir, site, sources, harvest, session):
    page = _next((fixtures_dir / "pycsw/apiso-expected/post_GetRecords-all.xml").read_bytes(), 0)
    url = _serve(site, {1: page})
    result = harvest(sources("apiso", "csw", url, config={"method": "get"}))
    assert result.job.counts.get("created") == 5, result.job.errors
    assert "outputSchema=http%3A%2F%2Fwww.isotc211.org%2F2005%2Fgmd" in site.requests[0]
    assert "startPosition=1" in site.requests[0] and "request=GetRecords" in site.requests[0]
    resource = session.get(Resource, next(o.resource_id for o in result.outcomes if o.remote_id == "3e9a8c05"))
    assert resource.title == "test Title"


def test_geonetwork_paging_that_goes_round_stops(fixtures_dir, site, sources, harvest):
    # udata's GeoNetwork captures: page 1 (nextRecord 3), page 3 (nextRecord 5); asked for 5 the server
    # answers page 1 again. The listing stops, is incomplete, and nothing is withdrawn.
    page1 = (fixtures_dir / "udata/csw/geonetwork-iso19139-page-1.xml").read_bytes()
    page3 = (fixtures_dir / "udata/csw/geonetwork-iso19139-page-3.xml").read_bytes()
    url = _serve(site, {1: page1, 3: page3, 5: page1})
    source = sources("geonetwork", "csw", url, config={"max_records": 2}, withdraw_after_days=0)
    result = harvest(source)
    assert result.job.counts == {"created": 4}, result.job.errors
    assert result.job.status == "done_with_errors"
    assert "paging stopped" in result.job.errors[0]["message"]["en"]
    assert len(site.bodies) == 3
    again = harvest(source)
    assert again.job.counts == {"unchanged": 4}


def test_next_record_that_does_not_move_forward_stops(fixtures_dir, site, sources, harvest):
    page1 = _next((fixtures_dir / "udata/csw/geonetwork-iso19139-page-1.xml").read_bytes(), 1)
    url = _serve(site, {1: page1})
    result = harvest(sources("stuck", "csw", url))
    assert result.job.counts == {"created": 2}
    assert "does not move past" in result.job.errors[0]["message"]["en"]
    assert len(site.bodies) == 1


def test_inspire_jump_in_next_record(fixtures_dir, site, sources, harvest):
    # OWSLib's INSPIRE capture: 216 matched, 2 returned, nextRecord 85 — followed as the server says.
    first = (fixtures_dir / "owslib/inspire-getrecords-response.xml").read_bytes()
    last = (fixtures_dir / "udata/csw/geoplateforme-iso19139-IGNF_RPG.xml").read_bytes()
    url = _serve(site, {1: first, 85: last})
    result = harvest(sources("inspire", "csw", url))
    assert result.job.status == "done", result.job.errors
    assert result.job.counts == {"created": 3}


def test_one_bad_iso_record_does_not_abort_its_page(fixtures_dir, site, sources, harvest):
    page = _next((fixtures_dir / "pycsw/apiso-expected/post_GetRecords-all.xml").read_bytes(), 0)
    # The first record loses its identificationInfo; the second its fileIdentifier.
    head, *records = page.split(b"<gmd:MD_Metadata")
    records[0] = records[0].replace(b"gmd:identificationInfo>", b"gmd:identificationInfoX>")
    records[1] = records[1].replace(b"gmd:fileIdentifier>", b"gmd:fileIdentifierX>")
    page = b"<gmd:MD_Metadata".join([head, *records])
    url = _serve(site, {1: page})
    result = harvest(sources("bad", "csw", url))
    errors = [o for o in result.outcomes if o.status == "error"]
    assert result.job.counts.get("created") == 3, result.job.errors
    assert {o.remote_id for o in errors} == {"3e9a8c05", "position:2"}
    first = next(o for o in errors if o.remote_id == "3e9a8c05")
    assert "3e9a8c05" in first.message.render("en") and "identificationInfo" in first.message.render("en")
    assert "position 2" in next(o for o in errors if o.remote_id == "position:2").message.render("en")


def test_exception_report_and_malformed_answers_fail_the_job(fixtures_dir, site, sources, harvest, session):
    report = (fixtures_dir / "pycsw/default-expected/post_Exception-GetRecords-elementname.xml").read_bytes()
    result = harvest(sources("refused", "csw", _serve(site, {1: report})))
    assert result.job.status == "failed"
    assert "refused GetRecords" in result.job.errors[0]["message"]["en"]
    site.handlers.clear()
    result = harvest(sources("broken", "csw", _serve(site, {1: b"<csw:GetRecordsResponse><unclosed>"})))
    assert result.job.status == "failed" and "not well-formed" in result.job.errors[0]["message"]["en"]
    site.handlers.clear()
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><r>&b;</r>'
    result = harvest(sources("bomb", "csw", _serve(site, {1: bomb})))
    assert result.job.status == "failed" and "entities" in result.job.errors[0]["message"]["en"]
    assert session.scalar(select(func.count()).select_from(Resource)) == 0


def test_iso_mapping_frequency_contact_links_keywords(container, fixtures_dir, site, http):
    gemini = (fixtures_dir / "ckanext-spatial/gemini2.1-validation/04_Dataset_Valid.xml").read_bytes()
    geo = (fixtures_dir / "udata/csw/geoplateforme-iso19139-IGNF_RPG.xml").read_bytes()
    url = _serve(site, {1: _records(gemini)})
    harvester = CswHarvester(HarvestContext(url=url, config=CswHarvester.load_config({}), http=http,
                                            vocab=container.vocab, profile=container.profile, secrets={}))
    (record,) = list(harvester.gather())
    data = harvester.map(record)
    assert data["title"] and data["abstract"]
    payload = record.payload
    assert payload["frequency"] and data["update_cycle"]
    assert data["metadata_maintainer"] == payload["organisation"]
    assert data["keywords"]
    assert all(row["url"].startswith("http") for row in data.get("distributions", []))
    site.handlers.clear()
    _serve(site, {1: geo})
    (record,) = list(harvester.gather())
    data = harvester.map(record)
    assert record.remote_id == "IGNF_RPG"
    assert data["title"] == "RPG"
    assert record.modified is not None


# -- records not seen in the fixtures: small samples reproducing patterns of real catalogues ------------

GMD = ('xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco" '
       'xmlns:gmx="http://www.isotc211.org/2005/gmx" xmlns:srv="http://www.isotc211.org/2005/srv"')
ISO3 = " ".join(f'xmlns:{p}="http://standards.iso.org/iso/19115/-3/{p}/{v}"' for p, v in (
    ("mdb", "2.0"), ("cit", "2.0"), ("mcc", "1.0"), ("mri", "1.0"), ("mrd", "1.0"), ("mmi", "1.0"), ("lan", "1.0"),
    ("gco", "1.0"), ("gcx", "1.0")))


def _iso(identifier: str, body: str, *, root: str = "gmd:MD_Metadata", extra: str = "") -> bytes:
    """A small ISO 19139 record: ``body`` is what follows the fileIdentifier."""
    file_id = f"<gmd:fileIdentifier><gco:CharacterString>{identifier}</gco:CharacterString></gmd:fileIdentifier>"
    return f"<{root} {GMD} {extra}>{file_id if identifier else ''}{body}</{root}>".encode()


def _ident(title: str, more: str = "") -> str:
    return (f"<gmd:identificationInfo><gmd:MD_DataIdentification><gmd:citation><gmd:CI_Citation>{title}"
            f"</gmd:CI_Citation></gmd:citation>{more}</gmd:MD_DataIdentification></gmd:identificationInfo>")


def _mapped(container, site, http, page: bytes):
    """Gather one page through the local server and map every record: ``[(record, data or exception)]``."""
    site.handlers.clear()
    url = _serve(site, {1: page})
    harvester = CswHarvester(HarvestContext(url=url, config=CswHarvester.load_config({}), http=http,
                                            vocab=container.vocab, profile=container.profile, secrets={}))
    results = []
    for record in harvester.gather():
        try:
            results.append((record, harvester.map(record)))
        except Exception as exc:  # noqa: BLE001 (the test looks at what each record raised)
            results.append((record, exc))
    return results


def test_iso_19115_3_records_are_harvested(container, site, http, sources, harvest, session):
    # GeoNetwork 4 / OWSLib iso3 pattern: mdb root, metadataIdentifier, lan:PT_FreeText, gcx:Anchor keywords,
    # cit:linkage as a CharacterString, a contact's home page that is not a link to the data.
    record = (f'<mdb:MD_Metadata {ISO3} xmlns:xlink="http://www.w3.org/1999/xlink">'
              "<mdb:metadataIdentifier><mcc:MD_Identifier><mcc:code><gco:CharacterString>iso3-1</gco:CharacterString>"
              "</mcc:code></mcc:MD_Identifier></mdb:metadataIdentifier>"
              '<mdb:defaultLocale><lan:PT_Locale id="EN"><lan:language><lan:LanguageCode codeListValue="eng"/>'
              '</lan:language></lan:PT_Locale></mdb:defaultLocale>'
              '<mdb:otherLocale><lan:PT_Locale id="ZH"><lan:language><lan:LanguageCode codeListValue="zho"/>'
              '</lan:language></lan:PT_Locale></mdb:otherLocale>'
              "<mdb:contact><cit:CI_Responsibility><cit:party><cit:CI_Organisation><cit:name>"
              "<gco:CharacterString>Survey Office</gco:CharacterString></cit:name><cit:contactInfo><cit:CI_Contact>"
              "<cit:onlineResource><cit:CI_OnlineResource><cit:linkage><gco:CharacterString>https://office.example"
              "</gco:CharacterString></cit:linkage></cit:CI_OnlineResource></cit:onlineResource></cit:CI_Contact>"
              "</cit:contactInfo></cit:CI_Organisation></cit:party></cit:CI_Responsibility></mdb:contact>"
              "<mdb:dateInfo><cit:CI_Date><cit:date><gco:DateTime>2024-04-25T02:45:01</gco:DateTime></cit:date>"
              '<cit:dateType><cit:CI_DateTypeCode codeListValue="revision"/></cit:dateType></cit:CI_Date></mdb:dateInfo>'
              "<mdb:identificationInfo><mri:MD_DataIdentification><mri:citation><cit:CI_Citation><cit:title>"
              "<gco:CharacterString>Groundwater levels</gco:CharacterString><lan:PT_FreeText><lan:textGroup>"
              '<lan:LocalisedCharacterString locale="#ZH">地下水位</lan:LocalisedCharacterString></lan:textGroup>'
              "</lan:PT_FreeText></cit:title></cit:CI_Citation></mri:citation>"
              "<mri:abstract><gco:CharacterString>Monthly levels.</gco:CharacterString></mri:abstract>"
              "<mri:resourceMaintenance><mmi:MD_MaintenanceInformation><mmi:maintenanceAndUpdateFrequency>"
              '<mmi:MD_MaintenanceFrequencyCode codeListValue="monthly"/></mmi:maintenanceAndUpdateFrequency>'
              "</mmi:MD_MaintenanceInformation></mri:resourceMaintenance>"
              "<mri:descriptiveKeywords><mri:MD_Keywords><mri:keyword>"
              '<gcx:Anchor xlink:href="http://inspire.ec.europa.eu/theme/ef">Environmental monitoring facilities'
              "</gcx:Anchor></mri:keyword></mri:MD_Keywords></mri:descriptiveKeywords>"
              "</mri:MD_DataIdentification></mdb:identificationInfo>"
              "<mdb:distributionInfo><mrd:MD_Distribution><mrd:transferOptions><mrd:MD_DigitalTransferOptions>"
              "<mrd:onLine><cit:CI_OnlineResource><cit:linkage><gco:CharacterString>https://data.example/wms"
              "</gco:CharacterString></cit:linkage><cit:protocol><gco:CharacterString>OGC:WMS</gco:CharacterString>"
              "</cit:protocol></cit:CI_OnlineResource></mrd:onLine></mrd:MD_DigitalTransferOptions>"
              "</mrd:transferOptions></mrd:MD_Distribution></mdb:distributionInfo></mdb:MD_Metadata>").encode()
    ((remote, data),) = _mapped(container, site, http, _records(record))
    assert remote.remote_id == "iso3-1" and remote.payload["schema"] == "iso19115-3"
    assert remote.modified is not None and remote.modified.year == 2024
    assert data["title"] == "地下水位" and data["abstract"] == "Monthly levels."
    assert data["keywords"] == ["Environmental monitoring facilities"]
    assert data["metadata_maintainer"] == "Survey Office" and data["update_cycle"] == "4"
    assert [(row["url"], row.get("service_type")) for row in data["distributions"]] == [("https://data.example/wms",
                                                                                          "OGC:WMS")]
    site.handlers.clear()
    source = sources("iso3", "csw", _serve(site, {1: _records(record)}))
    assert harvest(source).job.counts == {"created": 1}
    assert harvest(source).job.counts == {"unchanged": 1}


def test_profiles_with_their_own_root_are_read_as_iso_19139(container, site, http):
    # geocat.ch answers che:CHE_MD_Metadata with che: parties and a multilingual URL (che:PT_FreeURL).
    che = 'xmlns:che="http://www.geocat.ch/2008/che"'
    party = ("<che:CHE_CI_ResponsibleParty><gmd:organisationName><gco:CharacterString>Amt für Umwelt"
             "</gco:CharacterString></gmd:organisationName></che:CHE_CI_ResponsibleParty>")
    link = ("<gmd:distributionInfo><gmd:MD_Distribution><gmd:transferOptions><gmd:MD_DigitalTransferOptions><gmd:onLine>"
            "<gmd:CI_OnlineResource><gmd:linkage><che:PT_FreeURL><che:URLGroup><che:LocalisedURL locale=\"#DE\">"
            "https://map.example/?layer=gewaesser</che:LocalisedURL></che:URLGroup></che:PT_FreeURL></gmd:linkage>"
            "</gmd:CI_OnlineResource></gmd:onLine></gmd:MD_DigitalTransferOptions></gmd:transferOptions>"
            "</gmd:MD_Distribution></gmd:distributionInfo>")
    record = _iso("che-1", f"<gmd:contact>{party}</gmd:contact>"
                  + _ident("<gmd:title><gco:CharacterString>Gewässerschutzkarte</gco:CharacterString></gmd:title>")
                  + link, root="che:CHE_MD_Metadata", extra=che)
    ((remote, data),) = _mapped(container, site, http, _records(record))
    assert remote.remote_id == "che-1" and data["title"] == "Gewässerschutzkarte"
    assert data["metadata_maintainer"] == "Amt für Umwelt"
    assert [row["url"] for row in data["distributions"]] == ["https://map.example/?layer=gewaesser"]


@pytest.mark.parametrize(("locales", "reference"), [
    ('<gmd:locale><gmd:PT_Locale id="CN"><gmd:languageCode><gmd:LanguageCode codeListValue="chi"/>'
     "</gmd:languageCode></gmd:PT_Locale></gmd:locale>", "#CN"),
    ('<gmd:locale><gmd:PT_Locale id="loc2"><gmd:languageCode><gmd:LanguageCode codeListValue="zho"/>'
     "</gmd:languageCode></gmd:PT_Locale></gmd:locale>", "#loc2"),
    ("", "#locale-zho"),
    ("", "#zh-CN"),
])
def test_chinese_translations_are_found_through_their_locale(container, site, http, locales, reference):
    # The locale attribute points at a PT_Locale id, which is any name: the language is the one it declares.
    title = ("<gmd:title><gco:CharacterString>Land use 2020</gco:CharacterString><gmd:PT_FreeText><gmd:textGroup>"
             f'<gmd:LocalisedCharacterString locale="{reference}">2020年土地利用现状</gmd:LocalisedCharacterString>'
             "</gmd:textGroup></gmd:PT_FreeText></gmd:title>")
    keyword = ("<gmd:descriptiveKeywords><gmd:MD_Keywords><gmd:keyword><gco:CharacterString>land use</gco:CharacterString>"
               f'<gmd:PT_FreeText><gmd:textGroup><gmd:LocalisedCharacterString locale="{reference}">土地利用'
               "</gmd:LocalisedCharacterString></gmd:textGroup></gmd:PT_FreeText></gmd:keyword></gmd:MD_Keywords>"
               "</gmd:descriptiveKeywords>")
    record = _iso("zh-1", '<gmd:language><gmd:LanguageCode codeListValue="eng"/></gmd:language>' + locales
                  + _ident(title, keyword))
    ((_remote, data),) = _mapped(container, site, http, _records(record))
    assert data["title"] == "2020年土地利用现状" and data["keywords"] == ["土地利用"]


def test_links_leave_out_contacts_and_keep_each_protocol_of_one_endpoint(container, site, http):
    # A service record (srv:SV_ServiceIdentification): the contact's home page is no link to the data; GeoNetwork
    # lists one OWS endpoint as OGC:WMS and as OGC:WFS; the operation's connectPoint is a link.
    contact = ("<gmd:pointOfContact><gmd:CI_ResponsibleParty><gmd:organisationName><gco:CharacterString>Bureau"
               "</gco:CharacterString></gmd:organisationName><gmd:contactInfo><gmd:CI_Contact><gmd:onlineResource>"
               "<gmd:CI_OnlineResource><gmd:linkage><gmd:URL>https://bureau.example/</gmd:URL></gmd:linkage>"
               "</gmd:CI_OnlineResource></gmd:onlineResource></gmd:CI_Contact></gmd:contactInfo>"
               "</gmd:CI_ResponsibleParty></gmd:pointOfContact>")
    operation = ("<srv:containsOperations><srv:SV_OperationMetadata><srv:connectPoint><gmd:CI_OnlineResource>"
                 "<gmd:linkage><gmd:URL>https://maps.example/csw</gmd:URL></gmd:linkage><gmd:protocol>"
                 "<gco:CharacterString>OGC:CSW</gco:CharacterString></gmd:protocol></gmd:CI_OnlineResource>"
                 "</srv:connectPoint></srv:SV_OperationMetadata></srv:containsOperations>")

    def online(protocol: str) -> str:
        return (f"<gmd:onLine><gmd:CI_OnlineResource><gmd:linkage><gmd:URL>https://maps.example/ows</gmd:URL>"
                f"</gmd:linkage><gmd:protocol><gco:CharacterString>{protocol}</gco:CharacterString></gmd:protocol>"
                f"</gmd:CI_OnlineResource></gmd:onLine>")

    distribution = ("<gmd:distributionInfo><gmd:MD_Distribution><gmd:transferOptions><gmd:MD_DigitalTransferOptions>"
                    + online("OGC:WMS") + online("OGC:WFS") + online("OGC:WMS")
                    + "</gmd:MD_DigitalTransferOptions></gmd:transferOptions></gmd:MD_Distribution></gmd:distributionInfo>")
    service = ("<gmd:identificationInfo><srv:SV_ServiceIdentification><gmd:citation><gmd:CI_Citation><gmd:title>"
               "<gco:CharacterString>Map service</gco:CharacterString></gmd:title></gmd:CI_Citation></gmd:citation>"
               f"{contact}{operation}</srv:SV_ServiceIdentification></gmd:identificationInfo>")
    ((_remote, data),) = _mapped(container, site, http, _records(_iso("srv-1", service + distribution)))
    assert data["metadata_maintainer"] == "Bureau"
    assert [(row["url"], row.get("service_type")) for row in data["distributions"]] == [
        ("https://maps.example/ows", "OGC:WMS"), ("https://maps.example/ows", "OGC:WFS"),
        ("https://maps.example/csw", "OGC:CSW")]


def test_an_empty_identification_section_before_the_real_one_is_passed_over(container, site, http):
    empty = '<gmd:identificationInfo xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="#other"/>'
    record = _iso("two-ident", empty + "<gmd:identificationInfo><gmd:MD_DataIdentification><gmd:abstract>"
                  "<gco:CharacterString>none</gco:CharacterString></gmd:abstract></gmd:MD_DataIdentification>"
                  "</gmd:identificationInfo>"
                  + _ident("<gmd:title><gco:CharacterString>Second section</gco:CharacterString></gmd:title>"))
    ((_remote, data),) = _mapped(container, site, http, _records(record))
    assert data["title"] == "Second section"


def test_records_of_other_schemas_are_skipped_by_name_and_broken_ones_name_the_field(site, sources, harvest):
    # A record of a schema Mulu does not read (FGDC <metadata>, no namespace) is skipped by name; the page goes on.
    fgdc = b"<metadata><idinfo><citation><citeinfo><title>Roads</title></citeinfo></citation></idinfo></metadata>"
    good = _iso("good-1", _ident("<gmd:title><gco:CharacterString>Roads</gco:CharacterString></gmd:title>"))
    no_id = _iso("", _ident("<gmd:title><gco:CharacterString>No id</gco:CharacterString></gmd:title>"),
                 root="gmi:MI_Metadata", extra='xmlns:gmi="http://www.isotc211.org/2005/gmi"')
    no_ident = _iso("no-ident", "<gmd:dateStamp><gco:Date>2020-01-01</gco:Date></gmd:dateStamp>")
    result = harvest(sources("mixed", "csw", _serve(site, {1: _records(fgdc, good, no_id, no_ident)})))
    assert result.job.counts == {"created": 1, "skipped": 1, "error": 2}, result.outcomes
    by_id = {o.remote_id: o for o in result.outcomes}
    skipped = by_id["position:1"]
    assert skipped.status == "skipped"
    assert "metadata (no namespace)" in skipped.message.render("en")
    assert "Mulu 不读取这种元数据标准" in skipped.message.render("zh_CN")
    missing = by_id["position:3"]
    assert "gmd:fileIdentifier" in missing.message.render("en")
    assert "缺少标识符（gmd:fileIdentifier）" in missing.message.render("zh_CN")
    broken = by_id["no-ident"]
    assert "identificationInfo" in broken.message.render("en")
    assert "缺少 gmd:identificationInfo（资源标识信息）" in broken.message.render("zh_CN")


@pytest.mark.parametrize(("code", "cycle"), [("continual", "1"), ("daily", "2"), ("weekly", "3"), ("monthly", "4"),
                                             ("quarterly", "5"), ("biannually", "6"), ("annually", "7"),
                                             ("asNeeded", "8"), ("irregular", "8"), ("fortnightly", "9"),
                                             ("unknown", None)])
def test_iso_maintenance_frequencies(container, code, cycle):
    from harvesters.csw import _cycle

    assert _cycle(container.vocab, code) == cycle


def test_get_records_body_is_well_formed_and_escapes_the_constraint():
    body = get_records_body("iso", 11, 50, "AnyText like '%<water>%'")
    root = parse_xml(body)
    assert root.get("startPosition") == "11" and root.get("maxRecords") == "50"
    assert root.get("outputSchema") == "http://www.isotc211.org/2005/gmd"
    assert "<water>" in "".join(root.itertext())


# -- a real pycsw ------------------------------------------------------------------------------

RECORDS = [
    *(f"pycsw/apiso-data/{name}" for name in ("3e9a8c05.xml", "T_aerfo_RAS_1991_GR800P001800000012.xml",
                                              "T_ortho_RAS_1998_284404.xml", "T_pmoed_DTM_1996_276395.xml",
                                              "iso_19115-2_Sentinel-2-scene.xml", "pacioos-NS06agg.xml", "test.xml")),
    "ckanext-spatial/iso19139/dataset.xml",
    "ckanext-spatial/gemini2.1/dataset1.xml",
    "ckanext-spatial/gemini2.1-validation/04_Dataset_Valid.xml",
]


@pytest.fixture(scope="session")
def pycsw(tmp_path_factory):
    """A pycsw 2.6.2 server loaded with ISO 19139 records from ../shared/fixtures (built once, cached)."""
    from tests.conftest import FIXTURES
    from tests.harvest.pycsw_server import PycswServer, PycswUnavailable, virtualenv

    if not FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is not available (fresh clone)")
    try:
        python = virtualenv()
    except PycswUnavailable as exc:
        pytest.skip(f"pycsw cannot be installed in its own virtualenv: {exc}")
    home = tmp_path_factory.mktemp("pycsw")
    records = home / "records"
    records.mkdir()
    for name in RECORDS:
        shutil.copy(FIXTURES / name, records / name.replace("/", "-"))
    server = PycswServer(python, home, records, maxrecords=100).start()
    yield server
    server.stop()


def _matched(http, url: str, schema: str = "dc") -> int:
    response = http.get(url, params={"service": "CSW", "version": "2.0.2", "request": "GetRecords",
                                     "typeNames": "csw:Record", "resultType": "hits", "elementSetName": "brief"},
                        headers={"Accept-Encoding": "identity"})
    root = parse_xml(response.content)
    return int(root.find("{http://www.opengis.net/cat/csw/2.0.2}SearchResults").get("numberOfRecordsMatched"))


@pytest.mark.parametrize(("schema", "method"), [("iso", "post"), ("dc", "get")])
def test_live_pycsw_end_to_end(pycsw, schema, method, http, sources, harvest, session, world):
    total = _matched(http, pycsw.url)
    assert total >= 8  # every loadable record of RECORDS
    source = sources(f"pycsw-{schema}", "csw", pycsw.url, config={"output_schema": schema, "method": method,
                                                                  "max_records": 3})
    first = harvest(source)
    counts = first.job.counts
    assert counts == {"created": total}, (first.job.errors, first.outcomes)
    assert first.job.status == "done"
    assert first.job.total == total
    assert len([r for r in first.outcomes]) == total  # 3 pages of 3, nothing listed twice
    drafts = session.scalars(select(Resource).where(Resource.department_id == world.mzj.id)).all()
    assert len(drafts) == counts["created"] and {r.status for r in drafts} == {"draft"}
    by_id = {o.remote_id: o for o in first.outcomes}
    if schema == "iso":
        assert session.get(Resource, by_id["3e9a8c05"].resource_id).title == "test Title"
    second = harvest(source)
    assert second.job.counts.get("created", 0) == 0 and second.job.counts.get("updated", 0) == 0
    assert second.job.counts.get("unchanged", 0) == counts["created"]
    assert session.scalar(select(func.count()).select_from(Resource)) == len(drafts)


class _Recording:
    """The test client, remembering each request (method, URL, body)."""

    def __init__(self, http):
        self.http = http
        self.requests: list[tuple[str, str, bytes | None]] = []

    def get(self, url, **kwargs):
        self.requests.append(("GET", url, None))
        return self.http.get(url, **kwargs)

    def post(self, url, body, **kwargs):
        self.requests.append(("POST", url, body))
        return self.http.post(url, body, **kwargs)

    def close(self):
        pass


@pytest.mark.parametrize(("schema", "method"), [("iso", "post"), ("dc", "get")])
def test_live_pycsw_incremental_runs_ask_only_for_records_modified_since(pycsw, schema, method, http, sources, harvest,
                                                                          session, clock, monkeypatch, tmp_path):
    from urllib.parse import unquote_plus

    from tests.conftest import FIXTURES

    mapped: list[str] = []
    original_map = CswHarvester.map

    def counting(self, record):
        mapped.append(record.remote_id)
        return original_map(self, record)

    monkeypatch.setattr(CswHarvester, "map", counting)
    recording = _Recording(http)
    source = sources(f"pycsw-inc-{schema}", "csw", pycsw.url, config={"output_schema": schema, "method": method,
                                                                      "max_records": 3})
    first = harvest(source, http=recording)
    total = first.job.counts["created"]
    assert first.job.since is None and len(mapped) == total
    prop = {"iso": "apiso:Modified", "dc": "dct:modified"}[schema]
    assert not any(prop in (unquote_plus(url) + (body or b"").decode()) for _m, url, body in recording.requests)

    clock.advance(days=1)
    recording.requests.clear()
    second = harvest(source, http=recording)
    assert second.job.since is not None and second.job.status == "done", second.job.errors
    assert second.job.counts == {"unchanged": total} and len(mapped) == total  # nothing fetched in full, nothing mapped
    asked = [unquote_plus(url) + (body or b"").decode() for _m, url, body in recording.requests]
    assert any(prop in text and "2026-10-31" in text for text in asked), asked[:2]
    assert any("brief" in text for text in asked)  # then the ids of everything, so deletions are still seen

    original = FIXTURES / "pycsw/apiso-data/T_ortho_RAS_1998_284404.xml"
    changed = tmp_path / "changed"
    changed.mkdir()
    text = original.read_text(encoding="utf-8")
    (changed / "ortho.xml").write_text(text.replace("<gco:Date>2009-10-07</gco:Date></gmd:dateStamp>",
                                                    "<gco:Date>2026-11-02</gco:Date></gmd:dateStamp>")
                                       .replace("<gco:CharacterString>Ortho</gco:CharacterString>",
                                                "<gco:CharacterString>Ortho (revised)</gco:CharacterString>"),
                                       encoding="utf-8")
    pycsw._admin("-c", "load_records", "-p", str(changed), "-y")
    try:
        clock.advance(days=2)
        third = harvest(source, http=recording)
        assert third.job.counts == {"updated": 1, "unchanged": total - 1}, third.outcomes
        assert mapped[-1:] == ["de53e931-778a-4792-94ad-9fe507aca483"] and len(mapped) == total + 1
        assert session.scalars(select(Resource).where(Resource.title == "Ortho (revised)")).first() is not None
    finally:
        restore = tmp_path / "restore"
        restore.mkdir()
        shutil.copy(original, restore / "ortho.xml")
        pycsw._admin("-c", "load_records", "-p", str(restore), "-y")


def test_a_server_refusing_the_date_filter_gets_a_full_harvest(fixtures_dir, site, sources, harvest, clock):
    page = _next((fixtures_dir / "pycsw/apiso-expected/post_GetRecords-all.xml").read_bytes(), 0)
    report = (fixtures_dir / "pycsw/default-expected/post_Exception-GetRecords-elementname.xml").read_bytes()

    def handler(path, params):
        body = site.bodies[-1]
        if b"apiso:Modified" in body and b"PropertyName" in body:
            return 200, {"Content-Type": "application/xml"}, report
        return 200, {"Content-Type": "application/xml"}, page

    source = sources("refuses-filter", "csw", site.handle("/csw", handler))
    first = harvest(source)
    clock.advance(days=1)
    second = harvest(source)
    assert second.job.since is not None and second.job.status == "done"
    assert second.job.counts == {"unchanged": first.job.counts["created"]}


def test_the_date_filter_joins_a_cql_constraint():
    body = get_records_body("iso", 1, 10, "AnyText like '%水利%'", modified_since="2026-10-31").decode()
    assert "<csw:CqlText>(AnyText like '%水利%') AND apiso:Modified &gt;= '2026-10-31'</csw:CqlText>" in body
    plain = parse_xml(get_records_body("dc", 1, 10, element_set="brief", modified_since="2026-10-31"))
    ogc = "{http://www.opengis.net/ogc}"
    condition = plain.find(f".//{ogc}PropertyIsGreaterThanOrEqualTo")
    assert condition.find(f"{ogc}PropertyName").text == "dct:modified" and condition.find(f"{ogc}Literal").text == "2026-10-31"
    assert plain.find(".//{http://www.opengis.net/cat/csw/2.0.2}ElementSetName").text == "brief"


def test_an_iso_19115_3_source_asks_for_records_in_that_schema(site, sources, harvest, session):
    record = (f'<mdb:MD_Metadata {ISO3}><mdb:metadataIdentifier><mcc:MD_Identifier><mcc:code><gco:CharacterString>'
              "gn4-1</gco:CharacterString></mcc:code></mcc:MD_Identifier></mdb:metadataIdentifier>"
              "<mdb:identificationInfo><mri:MD_DataIdentification><mri:citation><cit:CI_Citation><cit:title>"
              "<gco:CharacterString>河道水位</gco:CharacterString></cit:title></cit:CI_Citation></mri:citation>"
              "</mri:MD_DataIdentification></mdb:identificationInfo></mdb:MD_Metadata>").encode()
    url = _serve(site, {1: _records(record)})
    result = harvest(sources("gn4", "csw", url, config={"output_schema": "iso19115-3", "method": "get"}))
    assert result.job.counts == {"created": 1}, result.job.errors
    asked = parse_qs(urlsplit(site.requests[-1]).query)
    assert asked["outputSchema"] == ["http://standards.iso.org/iso/19115/-3/mdb/2.0"]
    assert asked["typeNames"] == ["gmd:MD_Metadata"] and "xmlns(gmd=" in asked["namespace"][0]
    body = parse_xml(get_records_body("iso19115-3", 1, 10, modified_since="2026-10-31"))
    assert body.get("outputSchema") == "http://standards.iso.org/iso/19115/-3/mdb/2.0"
