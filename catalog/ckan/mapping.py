"""CKAN shapes of the catalog: resources as packages, departments as organizations, classifications as groups.

Pure functions over the models and the vocabularies, no web framework (``web/ckan_api.py`` answers
the Action API with them); the mapping is documented field by field in ``docs/ckan.md``.
"""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from catalog.display import CLASSIFICATION_VOCABULARY
from catalog.i18n import Message, Text
from catalog.models import Department, Distribution, Resource
from catalog.profile import Profile
from catalog.serialize import resource_to_json

CKAN_VERSION = "2.10.0"  # the Action API whose shapes Mulu answers with (reported by status_show)
_MSG = "{text}"  # bilingual Text values, rendered in the reader's language (no .po entry needed)
_UNSAFE = re.compile(r"[^a-z0-9_-]+")
_CODE_NAME = re.compile(r"(\d{1,30})[-/](\d{1,30})", re.ASCII)
_ID_NAME = re.compile(r"(?:resource-)?(\d{1,18})", re.ASCII)
_CORE_KEYS = frozenset({
    "id", "name", "title", "notes", "url", "version", "state", "type", "author", "author_email", "maintainer",
    "maintainer_email", "license_id", "license_title", "isopen", "private", "owner_org", "organization",
    "groups", "tags", "resources", "extras", "metadata_created", "metadata_modified", "num_tags",
    "num_resources", "creator_user_id", "relationships_as_object", "relationships_as_subject",
})
_MIME_FORMATS = {
    "text/csv": "CSV",
    "application/json": "JSON",
    "application/ld+json": "JSON-LD",
    "application/geo+json": "GeoJSON",
    "text/html": "HTML",
    "application/xml": "XML",
    "text/xml": "XML",
    "application/rdf+xml": "RDF",
    "text/turtle": "TTL",
    "application/pdf": "PDF",
    "application/zip": "ZIP",
    "text/plain": "TXT",
    "application/vnd.ms-excel": "XLS",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/msword": "DOC",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/ofd": "OFD",
}



def bilingual(zh: str, en: str) -> Message:
    """A message given in both languages, for the API's own validation errors."""
    return Message(_MSG, {"text": Text({"zh": zh, "en": en})})


# -- names and identifiers ------------------------------------------------------------------------


def ckan_name(text: str | None) -> str:
    """``text`` as a CKAN name: lowercase ASCII letters, digits, ``-`` and ``_``; at most 100 characters.

    :returns: the name, possibly empty when nothing of ``text`` is usable.
    """
    return _UNSAFE.sub("-", (text or "").lower()).strip("-")[:100]


def package_name(resource: Resource) -> str:
    """The CKAN ``name`` of a resource: its code made CKAN-safe, or ``resource-<id>`` when it has none."""
    return name_from(resource.id, resource.code)


def name_from(resource_id: int, code: str | None) -> str:
    """:func:`package_name` from the id and code alone (search hits carry no model)."""
    name = ckan_name(code)
    return name if len(name) >= 2 else f"resource-{resource_id}"


def package_reference(value: str) -> tuple[str, int | str] | None:
    """What a ``package_show`` id names: ``("id", 12)`` or ``("code", "307015/000031")``.

    Accepted: our resource id (``12``), a package name (``307015-000031``, ``resource-12``), the
    resource code itself and the metadata identifier.

    :returns: the reference, or ``None`` for an empty value.
    """
    value = (value or "").strip()
    if not value:
        return None
    found = _ID_NAME.fullmatch(value)
    if found:
        return "id", int(found.group(1))
    found = _CODE_NAME.fullmatch(value)
    if found:
        return "code", f"{found.group(1)}/{found.group(2)}"
    return "code", value


def organization_names(departments: Iterable[Department]) -> dict[int, str]:
    """The CKAN ``name`` of every department: its key made CKAN-safe, unique (``org-<id>`` otherwise).

    :param departments: every department (names must be unique among all of them).
    :returns: department id → name.
    """
    names: dict[int, str] = {}
    taken: set[str] = set()
    ordered = sorted(departments, key=lambda d: d.id)
    for department in ordered:  # keys first, so a fallback never takes a key's name
        name = ckan_name(department.key)
        if len(name) >= 2 and name not in taken:
            names[department.id] = name
            taken.add(name)
    for department in ordered:
        if department.id not in names:
            name, serial = f"org-{department.id}", 1
            while name in taken:
                serial += 1
                name = f"org-{department.id}-{serial}"
            names[department.id] = name
            taken.add(name)
    return names


# -- values ---------------------------------------------------------------------------------------


def timestamp(moment: datetime | None) -> str | None:
    """A time as CKAN writes it: ISO 8601 in UTC without an offset (``2023-06-09T14:03:59.159852``)."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat()


def license_for(is_open: bool | None, open_type: str | None, locale: str | None = None) -> dict[str, Any]:
    """``license_id``, ``license_title`` and ``isopen`` from the open attribute (是否向社会开放, 开放类型).

    无条件开放 → ``other-open`` (open); 有条件开放 → ``mulu-conditionally-open`` (not open in CKAN's
    sense: conditions apply); 不予开放 → ``other-closed``; unanswered → ``notspecified``.
    """
    if is_open is None:
        return {"license_id": "notspecified", "license_title": "License not specified", "isopen": False}
    if not is_open:
        return {"license_id": "other-closed", "license_title": "Other (Not Open)", "isopen": False}
    if (open_type or "unconditional") == "unconditional":
        return {"license_id": "other-open", "license_title": "Other (Open)", "isopen": True}
    title = Text({"zh": "有条件开放", "en": "Conditionally open"}).render(locale)
    return {"license_id": "mulu-conditionally-open", "license_title": title, "isopen": False}


def package_state(status: str) -> str:
    """CKAN's ``state``: ``active`` when published, ``deleted`` when withdrawn, ``draft`` before publication."""
    return {"published": "active", "withdrawn": "deleted"}.get(status, "draft")


def public_open_types(vocab) -> tuple[str, ...]:
    """The 开放类型 keys of resources open to the public (what CKAN calls public, not private)."""
    if "open_type" not in vocab:
        return ("unconditional", "conditional")
    return tuple(c.properties["key"] for c in vocab.get("open_type").concepts
                 if c.properties.get("open") and c.properties.get("key"))


def distribution_format(kind: str | None, media_type: str | None, service_type: str | None) -> str:
    """CKAN's ``format`` of a distribution: ``CSV``, ``XLSX``, ``JSON`` … from its media type, the service type for services."""
    if kind == "service":
        return (service_type or "").strip() or "API"
    media = (media_type or "").strip()
    if not media:
        return ""
    if "/" in media:
        base = media.split(";")[0].strip().lower()
        if base in _MIME_FORMATS:
            return _MIME_FORMATS[base]
        extension = mimetypes.guess_extension(base)
        return extension.lstrip(".").upper() if extension else base
    return media.upper() if re.fullmatch(r"[A-Za-z0-9.+-]{1,12}", media) else media


def _extra_value(value: Any) -> str | None:
    if value is None or value == "" or value == [] or value == {}:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _extras(data: Mapping[str, Any], profile: Profile) -> list[dict[str, str]]:
    fmt, share, opened = data.get("format") or {}, data.get("share") or {}, data.get("open") or {}
    values: dict[str, Any] = {
        "metadata_id": data.get("metadata_id"),
        "code": data.get("code"),
        "status": data.get("status"),
        "classification_code": data.get("classification_code"),
        "provider_code": data.get("provider_code"),
        "provider_unit": data.get("provider_unit"),
        "theme": data.get("theme"),
        "format_class": fmt.get("class"),
        "format_type": fmt.get("type"),
        "format_description": fmt.get("description"),
        "share_type": share.get("type"),
        "share_condition": share.get("condition"),
        "share_basis": share.get("basis"),
        "share_method": share.get("method"),
        "open_is_open": opened.get("is_open"),
        "open_type": opened.get("type"),
        "open_condition": opened.get("condition"),
        "update_cycle": data.get("update_cycle"),
        "published_on": data.get("published_on"),
        "related_codes": data.get("related_codes"),
        "keyword_thesaurus": data.get("keyword_thesaurus"),
        "metadata_updated": data.get("metadata_updated"),
        "items": data.get("items"),
    }
    for element in profile.extension_elements:
        key = element.name if element.name not in _CORE_KEYS and element.name not in values else f"mulu_{element.name}"
        values[key] = data.get(element.name)
    extras = [{"key": key, "value": text} for key, value in values.items()
              if (text := _extra_value(value)) is not None]
    return sorted(extras, key=lambda extra: extra["key"])


# -- packages -------------------------------------------------------------------------------------


def resource_dict(distribution: Distribution, position: int, *, package_id: str, created: str | None = None,
                  modified: str | None = None) -> dict[str, Any]:
    """One distribution (online link, service, file, table) as a CKAN resource."""
    media = (distribution.media_type or "").strip()
    data = {
        "id": str(distribution.id),
        "package_id": package_id,
        "position": position,
        "name": distribution.title or distribution.url or "",
        "description": distribution.description or "",
        "url": distribution.url or "",
        "format": distribution_format(distribution.kind, media, distribution.service_type),
        "mimetype": media.lower() if "/" in media else None,
        "mimetype_inner": None,
        "resource_type": "api" if distribution.kind == "service" else distribution.kind,
        "state": "active",
        "created": created,
        "metadata_modified": modified,
        "last_modified": None,
        "url_type": None,
        "size": None,
        "hash": "",
        "cache_url": None,
        "cache_last_updated": None,
        "datastore_active": False,
    }
    if distribution.service_type:
        data["service_type"] = distribution.service_type
    return data


def tag_dict(keyword: str) -> dict[str, Any]:
    """A keyword as a CKAN tag (free tags: no vocabulary; the keyword is its own id)."""
    return {"id": keyword, "name": keyword, "display_name": keyword, "state": "active", "vocabulary_id": None}


def package_dict(resource: Resource, *, profile: Profile, vocab, organization: Mapping[str, Any],
                 locale: str | None = None, timezone: tzinfo | None = None, url: str | None = None) -> dict[str, Any]:
    """A resource as a CKAN package (``package_show``'s result).

    :param resource: the resource with its department, items and distributions.
    :param profile: the metadata profile (its extension elements go into ``extras``).
    :param vocab: the vocabularies (group titles, license titles).
    :param organization: the package's ``organization``, from :func:`organization_dict`.
    :param locale: the language of group and license titles.
    :param timezone: the catalog's time zone (the ``metadata_updated`` extra is a local date).
    :param url: the resource's page in the portal (CKAN's source ``url``).
    """
    data = resource_to_json(resource, profile, timezone)
    package_id = str(resource.id)
    created, modified = timestamp(resource.created_at), timestamp(resource.updated_at)
    keywords = list(dict.fromkeys(str(k) for k in data["keywords"] if str(k).strip()))
    opened = data["open"]
    resources = [resource_dict(d, position, package_id=package_id, created=created, modified=modified)
                 for position, d in enumerate(resource.distributions)]
    package = {
        "id": package_id,
        "name": package_name(resource),
        "title": data["title"] or "",
        "notes": data["abstract"] or "",
        "type": "dataset",
        "state": package_state(resource.status),
        "private": opened["is_open"] is not True,
        "url": url,
        "version": None,
        "author": resource.department.name if resource.department else None,
        "author_email": None,
        "maintainer": data["metadata_maintainer"],
        "maintainer_email": None,
        **license_for(opened["is_open"], opened["type"], locale),
        "metadata_created": created,
        "metadata_modified": modified,
        "creator_user_id": None,
        "owner_org": organization.get("id"),
        "organization": dict(organization),
        "groups": classification_groups(resource.classification_code, vocab, locale),
        "tags": [tag_dict(k) for k in keywords],
        "num_tags": len(keywords),
        "resources": resources,
        "num_resources": len(resources),
        "extras": _extras(data, profile),
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }
    return package


# -- organizations and groups ---------------------------------------------------------------------


def organization_dict(department: Department, name: str, *, package_count: int | None = None,
                      parent_name: str | None = None, detail: bool = False) -> dict[str, Any]:
    """A department as a CKAN organization.

    :param name: its CKAN name (:func:`organization_names`).
    :param package_count: the number of packages listed under it (``organization_list``/``_show``).
    :param parent_name: the parent department's CKAN name, shown as ckanext-hierarchy does (``groups``).
    :param detail: add ``extras`` (key, 统一社会信用代码, division …), ``groups``, ``tags`` and ``users``.
    """
    data: dict[str, Any] = {
        "id": str(department.id),
        "name": name,
        "title": department.name,
        "display_name": department.name,
        "description": "",
        "image_url": "",
        "image_display_url": "",
        "created": timestamp(department.created_at),
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
        "type": "organization",
    }
    if package_count is not None:
        data["package_count"] = package_count
        data["num_followers"] = 0
    if detail:
        values = {
            "key": department.key, "short_name": department.short_name, "uscc": department.uscc,
            "local_code": department.local_code, "division": department.division,
            "catalog_segment": department.catalog_segment, "kind": department.kind, "in_scope": department.in_scope,
        }
        data["extras"] = [{"key": key, "value": text} for key, value in sorted(values.items())
                          if (text := _extra_value(value)) is not None]
        data["groups"] = [{"name": parent_name, "capacity": "public"}] if parent_name else []
        data["tags"] = []
        data["users"] = []
    return data


def classification_concepts(vocab) -> list:
    """The 资源分类 类 and their 项, the CKAN groups, in code order."""
    if CLASSIFICATION_VOCABULARY not in vocab:
        return []
    scheme = vocab.get(CLASSIFICATION_VOCABULARY)
    return [c for top in scheme.top_concepts() for c in (top, *scheme.children(top.code))]


def group_dict(concept, *, locale: str | None = None, package_count: int | None = None,
               brief: bool = False, detail: bool = False) -> dict[str, Any]:
    """A 资源分类 类 or 项 as a CKAN group named by its code (``1``, ``101``).

    :param brief: the short form packages embed (``id``, ``name``, ``title``, ``display_name``, ``description``,
        ``image_display_url``).
    :param detail: add ``extras`` (URI, level), ``groups`` (a 项's 类), ``tags`` and ``users``.
    """
    title = Text(concept.labels).render(locale)
    description = Text(concept.definition).render(locale) if concept.definition else ""
    data: dict[str, Any] = {"id": concept.code, "name": concept.code, "title": title, "display_name": title,
                            "description": description, "image_display_url": ""}
    if brief:
        return data
    data.update(image_url="", created=None, is_organization=False, approval_status="approved", state="active",
                type="group")
    if package_count is not None:
        data["package_count"] = package_count
        data["num_followers"] = 0
    if detail:
        level = Text({"zh": "类", "en": "class"} if concept.broader is None else {"zh": "项", "en": "item"})
        data["extras"] = [{"key": "level", "value": level.render(locale)}, {"key": "uri", "value": concept.uri}]
        data["groups"] = [{"name": concept.broader, "capacity": "public"}] if concept.broader else []
        data["tags"] = []
        data["users"] = []
    return data


def classification_groups(code: str | None, vocab, locale: str | None = None) -> list[dict[str, Any]]:
    """The groups a 分类码 puts a package in: its 类 and its 项 (brief form)."""
    if not code or CLASSIFICATION_VOCABULARY not in vocab:
        return []
    scheme = vocab.get(CLASSIFICATION_VOCABULARY)
    concepts = [scheme.get(prefix) for prefix in dict.fromkeys((code[:1], code[:3]))]
    return [group_dict(c, locale=locale, brief=True) for c in concepts if c is not None]


def tag_names(keyword_lists: Iterable[Iterable[Any] | None], query: str | None = None) -> list[str]:
    """The distinct keywords of the listed packages, sorted, those containing ``query`` (any case) if given."""
    wanted = (query or "").strip().casefold()
    found = {str(k).strip() for keywords in keyword_lists for k in (keywords or ()) if str(k).strip()}
    return sorted(k for k in found if wanted in k.casefold())
