"""The resource JSON: the one representation used by export, the API, revisions and search documents."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from catalog.models import Resource
from catalog.profile import Profile


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _local_date(moment: datetime | None, timezone: tzinfo | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite returns naive datetimes; Mulu stores UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(timezone or UTC).date().isoformat()


def item_to_json(item) -> dict[str, Any]:
    data = {"name": item.name, "data_type": item.data_type, "length": item.length, "description": item.description}
    if item.share_type is not None:
        data["share_type"] = item.share_type
    if item.share_condition is not None:
        data["share_condition"] = item.share_condition
    if item.is_open is not None:
        data["is_open"] = item.is_open
    return data


def distribution_to_json(distribution) -> dict[str, Any]:
    return {
        "kind": distribution.kind,
        "title": distribution.title,
        "url": distribution.url,
        "service_type": distribution.service_type,
        "media_type": distribution.media_type,
        "description": distribution.description,
    }


def resource_to_json(resource: Resource, profile: Profile, timezone: tzinfo | None = None) -> dict[str, Any]:
    """Render a resource as the fixed Resource JSON (see README, "Resource JSON").

    :param resource: the resource, with its department, items and distributions loaded.
    :param profile: the profile whose extension elements are rendered from ``extras``.
    :param timezone: the catalog's time zone, for the 元数据更新日期 (UTC when omitted).
    """
    department = resource.department
    data: dict[str, Any] = {
        "id": resource.id,
        "metadata_id": resource.metadata_id,
        "code": resource.code,
        "status": resource.status,
        "title": resource.title,
        "abstract": resource.abstract,
        "department": {"id": department.id, "name": department.name, "uscc": department.uscc},
        "provider_code": department.uscc,
        "provider_unit": resource.provider_unit,
        "classification_code": resource.classification_code,
        "theme": resource.theme,
        "format": {
            "class": resource.format_class,
            "type": resource.format_type,
            "description": resource.format_description,
        },
        "share": {
            "type": resource.share_type,
            "condition": resource.share_condition,
            "basis": resource.share_basis,
            "method": resource.share_method,
        },
        "open": {"is_open": resource.open_is_open, "type": resource.open_type, "condition": resource.open_condition},
        "update_cycle": resource.update_cycle,
        "published_on": _iso(resource.published_on),
        "related_codes": list(resource.related_codes or []),
        "keywords": list(resource.keywords or []),
        "keyword_thesaurus": resource.keyword_thesaurus,
        "metadata_maintainer": resource.metadata_maintainer,
        "metadata_updated": _local_date(resource.updated_at, timezone),
        "items": [item_to_json(i) for i in resource.items],
        "distributions": [distribution_to_json(d) for d in resource.distributions],
    }
    extras = resource.extras or {}
    for element in profile.extension_elements:
        data[element.name] = extras.get(element.name)
    data.update(
        version=resource.version,
        created_at=_iso(resource.created_at),
        updated_at=_iso(resource.updated_at),
    )
    return data
