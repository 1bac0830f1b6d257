"""The resource's input and output schemas for the OpenAPI document, derived from the metadata profile.

The input schema *is* the one the service validates with (``catalog.schemas.resource``, draft
obligations), annotated with OpenAPI properties — types, lengths, code lists, labels — from the
profile, so the document cannot drift from what is accepted. The output schema mirrors the Resource
JSON (``catalog.serialize``) with the profile's extension elements added.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from catalog.profile import Element
from catalog.schemas.resource import build_resource_schema
from catalog.workflow import STATES

CLASSIFICATION_PATTERN = r"^[1-3][0-9]{2}([0-9]{3,13})?$"
RESOURCE_CODE_PATTERN = r"^[0-9]{6,16}/[0-9]{4,12}$"
DEPARTMENT_REF = {
    "description": "The provider (信息资源提供方): its id, key or 统一社会信用代码, or an object with one of them.",
    "oneOf": [
        {"type": "integer", "minimum": 1},
        {"type": "string", "minLength": 1, "maxLength": 64},
        {"type": "object", "properties": {k: {"type": "string"} for k in ("key", "uscc", "name")} | {
            "id": {"type": "integer", "minimum": 1}}, "minProperties": 1},
    ],
    "example": "hn-mzj",
}

# A complete resource: valid for submission (every rule holds) in the demo catalog's 民政局.
EXAMPLE = {
    "title": "城乡低保对象信息",
    "abstract": "全市城乡最低生活保障对象的基本信息，按月更新。",
    "department": "hn-mzj",
    "classification_code": "307",
    "format": {"class": "数据库", "type": "oracle"},
    "items": [
        {"name": "姓名", "data_type": "C", "length": 50},
        {"name": "身份证号码", "data_type": "C", "length": 18},
        {"name": "保障金额", "data_type": "N", "length": 10, "description": "元/月"},
    ],
    "share": {"type": "有条件共享", "condition": "仅限民政、人社部门核查使用", "method": "1-2"},
    "open": {"is_open": False},
    "update_cycle": "每月",
    "theme": "R",
    "keywords": ["低保", "社会救助"],
    "source_system": "社会救助信息系统",
    "record_count": 12000,
}


def _describe(element: Element) -> str:
    text = f"{element.label.render('zh_CN')} ({element.label.render('en')}); obligation {element.obligation}."
    if element.help:
        text += f" {element.help.render('en')}"
    return text


def _codes(element: Element, vocab) -> list[str]:
    scheme = vocab.get(element.vocabulary)
    concepts = scheme.top_concepts() if element.top_level else tuple(scheme)
    if element.key_property:
        values = [c.properties.get(element.key_property, c.code) for c in concepts]
    else:
        values = [c.code for c in concepts]
    if element.values is not None:
        values = [v for v in values if v in element.values]
    return [str(v) for v in values]


def openapi_properties(element: Element, vocab) -> dict[str, Any]:
    """The OpenAPI properties of one profile element (input side)."""
    props: dict[str, Any] = {"description": _describe(element)}
    kind = element.type
    if kind in ("string", "text", "url", "resource_code"):
        props["type"] = "string"
        if element.max_length:
            props["maxLength"] = element.max_length
        if kind == "url":
            props["format"] = "uri"
        if kind == "resource_code":
            props["pattern"] = RESOURCE_CODE_PATTERN
    elif kind == "integer":
        props["type"] = "integer"
        if element.min is not None:
            props["minimum"] = element.min
        if element.max is not None:
            props["maximum"] = element.max
    elif kind == "boolean":
        props["type"] = "boolean"
    elif kind == "code":
        scheme = vocab.get(element.vocabulary)
        props["type"] = "string"
        props["enum"] = _codes(element, vocab)
        props["description"] += (f" A code of the {scheme.label('en')} ({scheme.label('zh')}) list; its label is "
                                 f"accepted too. See /vocabularies/{element.vocabulary}.")
    elif kind == "choice":
        props["type"] = "string"
        props["enum"] = list(element.choices)
    elif kind in ("string_list", "resource_code_list"):
        item: dict[str, Any] = {"type": "string", "minLength": 1}
        if element.max_length:
            item["maxLength"] = element.max_length
        if kind == "resource_code_list":
            item["pattern"] = RESOURCE_CODE_PATTERN
        props.update(type="array", items=item)
        if element.max_occurs:
            props["maxItems"] = element.max_occurs
    elif kind == "classification":
        props.update(type="string", pattern=CLASSIFICATION_PATTERN, example="307")
        props["description"] += " 类+项 (3 digits: the provider's 目 is appended) or the full 分类码."
    elif kind == "department":
        props.update(DEPARTMENT_REF)
        props["description"] = DEPARTMENT_REF["description"] + f" {_describe(element)}"
    return props


def _annotate(schema: Schema, elements, vocab) -> None:
    for element in elements:
        field = schema.fields.get(element.name)
        if field is None:
            continue
        field.metadata.update(openapi_properties(element, vocab))
        if element.children:
            nested = field.inner if isinstance(field, fields.List) else field
            if isinstance(nested, fields.Nested):
                _annotate(nested.schema, element.children, vocab)


def resource_input_schema(container) -> Schema:
    """The service's draft input schema, annotated for OpenAPI (built once per container)."""
    schema = container.__dict__.get("_api_input_schema")
    if schema is None:
        schema = build_resource_schema(container.profile, container.vocab, draft=True)
        _annotate(schema, container.profile.elements, container.vocab)
        container.__dict__["_api_input_schema"] = schema
    return schema


class DepartmentOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    uscc = fields.String(allow_none=True)


class FormatOut(Schema):
    class_ = fields.String(data_key="class", allow_none=True)
    type = fields.String(allow_none=True)
    description = fields.String(allow_none=True)


class ShareOut(Schema):
    type = fields.String(allow_none=True, metadata={"description": "unconditional, conditional or not_shared."})
    condition = fields.String(allow_none=True)
    basis = fields.String(allow_none=True)
    method = fields.String(allow_none=True)


class OpenOut(Schema):
    is_open = fields.Boolean(allow_none=True)
    type = fields.String(allow_none=True)
    condition = fields.String(allow_none=True)


class ItemOut(Schema):
    name = fields.String(allow_none=True)
    data_type = fields.String(allow_none=True)
    length = fields.Integer(allow_none=True)
    description = fields.String(allow_none=True)
    share_type = fields.String(allow_none=True)
    share_condition = fields.String(allow_none=True)
    is_open = fields.Boolean(allow_none=True)


class DistributionOut(Schema):
    kind = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    url = fields.String(allow_none=True)
    service_type = fields.String(allow_none=True)
    media_type = fields.String(allow_none=True)
    description = fields.String(allow_none=True)


def _text(**metadata) -> fields.String:
    return fields.String(allow_none=True, metadata=metadata)


CORE_OUTPUT: dict[str, fields.Field] = {
    "id": fields.Integer(required=True),
    "metadata_id": fields.String(required=True, metadata={"description": "元数据标识符."}),
    "code": _text(description="信息资源代码 (分类码/顺序码), given at registration."),
    "status": fields.String(required=True, validate=validate.OneOf(list(STATES))),
    "title": fields.String(required=True),
    "abstract": _text(),
    "department": fields.Nested(DepartmentOut, required=True),
    "provider_code": _text(description="The provider's 统一社会信用代码."),
    "provider_unit": _text(),
    "classification_code": _text(),
    "theme": _text(),
    "format": fields.Nested(FormatOut, required=True),
    "share": fields.Nested(ShareOut, required=True),
    "open": fields.Nested(OpenOut, required=True),
    "update_cycle": _text(),
    "published_on": fields.Date(allow_none=True),
    "related_codes": fields.List(fields.String(), required=True),
    "keywords": fields.List(fields.String(), required=True),
    "keyword_thesaurus": _text(),
    "metadata_maintainer": _text(),
    "metadata_updated": fields.Date(allow_none=True),
    "items": fields.List(fields.Nested(ItemOut), required=True),
    "distributions": fields.List(fields.Nested(DistributionOut), required=True),
    "version": fields.Integer(required=True, metadata={"description": "The ETag; send it back in If-Match."}),
    "created_at": fields.DateTime(allow_none=True),
    "updated_at": fields.DateTime(allow_none=True),
}
_EXTENSION_FIELDS = {
    "integer": lambda: fields.Integer(allow_none=True),
    "boolean": lambda: fields.Boolean(allow_none=True),
    "date": lambda: fields.Date(allow_none=True),
    "string_list": lambda: fields.List(fields.String(), allow_none=True),
    "resource_code_list": lambda: fields.List(fields.String(), allow_none=True),
}


def resource_output_schema(profile) -> type[Schema]:
    """The Resource JSON's schema: the core fields and one field per extension element of the profile."""
    declared = dict(CORE_OUTPUT)
    for element in profile.extension_elements:
        field = _EXTENSION_FIELDS.get(element.type, lambda: fields.String(allow_none=True))()
        field.metadata["description"] = _describe(element)
        declared[element.name] = field
    return Schema.from_dict(declared, name="Resource")
