"""marshmallow schemas of the API's parameters, small bodies and answers; the OpenAPI document is built from them.

The resource's own input and output schemas are derived from the metadata profile
(``web.api.resource_schemas``); everything else is declared here.
"""

from __future__ import annotations

from marshmallow import INCLUDE, RAISE, Schema, fields, validate

from catalog.search import FACETS, MAX_PAGE_SIZE, SORTS
from catalog.services.token import MAX_NAME
from catalog.workflow import STATES, TRANSITIONS

MAX_TEXT = 200
LABELS = {"type": "object", "additionalProperties": {"type": "string"},
          "description": "Text by language: zh (Chinese), en (English).", "example": {"zh": "民政", "en": "Civil affairs"}}


def _labels(required: bool = False) -> fields.Dict:
    return fields.Dict(keys=fields.String(), values=fields.String(), required=required, metadata=dict(LABELS))


class Strict(Schema):
    """Unknown keys are refused (422 naming them)."""

    class Meta:
        unknown = RAISE


class Open(Schema):
    """An answer that may carry more keys than the ones described (vocabulary and profile data)."""

    class Meta:
        unknown = INCLUDE


# -- errors and pages --------------------------------------------------------------------------------


class ErrorDetail(Schema):
    code = fields.String(required=True, metadata={"description": "Stable machine-readable code.",
                                                   "example": "validation_error"})
    message = fields.String(required=True, metadata={"description": "Human-readable, in the request's language."})
    fields_ = fields.Dict(data_key="fields", required=True, keys=fields.String(),
                          values=fields.List(fields.String()),
                          metadata={"description": "Messages per field path (items.2.length) or parameter.",
                                    "example": {"title": ["信息资源名称：必填项。"]}})


class Error(Schema):
    error = fields.Nested(ErrorDetail, required=True)


class Links(Schema):
    self_ = fields.String(data_key="self", required=True, metadata={"format": "uri"})
    first = fields.String(allow_none=True, metadata={"format": "uri"})
    last = fields.String(allow_none=True, metadata={"format": "uri"})
    next = fields.String(allow_none=True, metadata={"format": "uri", "description": "Absent on the last page."})
    prev = fields.String(allow_none=True, metadata={"format": "uri", "description": "Absent on the first page."})


class ApiIndex(Schema):
    name = fields.String(required=True)
    version = fields.String(required=True)
    links = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


# -- search --------------------------------------------------------------------------------------------


def _search_args() -> type[Schema]:
    declared = {
        "q": fields.String(load_default="", validate=validate.Length(max=MAX_TEXT),
                           metadata={"description": "Words, a resource code or a provider; Chinese or pinyin.",
                                     "example": "低保"}),
        "sort": fields.String(load_default="relevance", validate=validate.OneOf(list(SORTS)),
                              metadata={"description": "relevance (newest first without q), updated or title."}),
        "page": fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000),
                               metadata={"description": "1-based page number."}),
        "size": fields.Integer(load_default=20, validate=validate.Range(min=0, max=MAX_PAGE_SIZE),
                               metadata={"description": "Hits per page; 0 counts only."}),
        "facets": fields.List(fields.String(validate=validate.OneOf(list(FACETS))), load_default=list,
                              metadata={"description": "Facet fields to count (repeat or separate with commas)."}),
        "highlight": fields.Boolean(load_default=False,
                                    metadata={"description": "Add <mark>-ed title and abstract snippets."}),
    }
    for name, facet in FACETS.items():
        extra = " Signed-in users only." if facet.signed_in_only else ""
        below = " A value selects everything below it too." if facet.tree else ""
        declared[name] = fields.List(
            fields.String(validate=validate.Length(min=1, max=100)),
            metadata={"description": f"Filter: {facet.label.render('en')} ({facet.label.render('zh_CN')}); "
                                     f"values are alternatives.{below}{extra}"})
    return Schema.from_dict(declared, name="SearchArgs")


SearchArgs = _search_args()


class FacetValue(Schema):
    value = fields.String(required=True, metadata={"description": "What to pass as the filter's value."})
    count = fields.Integer(required=True)
    label = fields.String(required=True, metadata={"description": "In the request's language."})
    labels = _labels(required=True)
    parent = fields.String(allow_none=True, metadata={"description": "The value above it (tree facets)."})
    selected = fields.Boolean(required=True)


class Hit(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    code = fields.String(allow_none=True, metadata={"description": "信息资源代码, once registered."})
    status = fields.String(required=True, validate=validate.OneOf(list(STATES)))
    department = fields.String(required=True, metadata={"description": "The provider's name."})
    updated_at = fields.DateTime(allow_none=True)
    score = fields.Float(allow_none=True)
    highlights = fields.Dict(keys=fields.String(), values=fields.String(),
                             metadata={"description": "title and abstract as HTML with <mark> (highlight=true)."})
    url = fields.String(required=True, metadata={"format": "uri", "description": "The resource in the API."})


class SearchPage(Schema):
    items = fields.List(fields.Nested(Hit), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    size = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    facets = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(FacetValue)), required=True)
    links = fields.Nested(Links, required=True)


# -- workflow and history ------------------------------------------------------------------------------


class TransitionIn(Strict):
    action = fields.String(required=True, validate=validate.OneOf(list(TRANSITIONS)),
                           metadata={"description": "The workflow action.", "example": "submit"})
    comment = fields.String(allow_none=True, validate=validate.Length(max=2000),
                            metadata={"description": "The opinion; required to return or withdraw."})


class AllowedAction(Schema):
    action = fields.String(required=True)
    label = fields.String(required=True)
    needs_comment = fields.Boolean(required=True)


class AllowedActions(Schema):
    status = fields.String(required=True)
    actions = fields.List(fields.Nested(AllowedAction), required=True)


class ChangeDecisionIn(Strict):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "return"]))
    comment = fields.String(allow_none=True, validate=validate.Length(max=2000),
                            metadata={"description": "Required to return the change."})


class Change(Schema):
    id = fields.Integer(required=True)
    resource_id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["pending", "approved", "returned"]))
    base_version = fields.Integer(required=True)
    comment = fields.String(allow_none=True)
    data = fields.Dict(required=True, metadata={"description": "The proposed resource input."})
    created_at = fields.DateTime(allow_none=True)


class RevisionSummary(Schema):
    number = fields.Integer(required=True)
    action = fields.String(required=True)
    comment = fields.String(allow_none=True)
    actor = fields.String(required=True)
    created_at = fields.DateTime(allow_none=True)
    url = fields.String(required=True, metadata={"format": "uri"})


class Revision(RevisionSummary):
    snapshot = fields.Dict(required=True, metadata={"description": "The Resource JSON after this change."})


class RevisionList(Schema):
    items = fields.List(fields.Nested(RevisionSummary), required=True)


class DiffArgs(Schema):
    from_ = fields.Integer(data_key="from", required=True, validate=validate.Range(min=1))
    to = fields.Integer(required=True, validate=validate.Range(min=1))


class FieldChange(Schema):
    path = fields.String(required=True)
    label = fields.String(required=True)
    kind = fields.String(required=True)
    old = fields.Raw(allow_none=True)
    new = fields.Raw(allow_none=True)


class Diff(Schema):
    from_ = fields.Integer(data_key="from", required=True)
    to = fields.Integer(required=True)
    changes = fields.List(fields.Nested(FieldChange), required=True)


class WorkflowEvent(Schema):
    action = fields.String(required=True)
    from_status = fields.String(allow_none=True)
    to_status = fields.String(required=True)
    comment = fields.String(allow_none=True)
    actor = fields.String(required=True)
    created_at = fields.DateTime(allow_none=True)


class EventList(Schema):
    items = fields.List(fields.Nested(WorkflowEvent), required=True)


# -- departments, vocabularies, profile ----------------------------------------------------------------


class Department(Schema):
    id = fields.Integer(required=True)
    key = fields.String(required=True)
    name = fields.String(required=True)
    short_name = fields.String(allow_none=True)
    uscc = fields.String(allow_none=True, metadata={"description": "统一社会信用代码."})
    local_code = fields.String(allow_none=True)
    division = fields.String(allow_none=True, metadata={"description": "行政区划代码 (GB/T 2260)."})
    catalog_segment = fields.String(allow_none=True, metadata={"description": "目 segment of 分类码."})
    kind = fields.String(required=True)
    in_scope = fields.Boolean(allow_none=True)
    parent = fields.String(allow_none=True, metadata={"description": "The parent's key."})
    version = fields.Integer(required=True)


class DepartmentNode(Department):
    children = fields.List(fields.Nested(lambda: DepartmentNode()), required=True)


class DepartmentTree(Schema):
    items = fields.List(fields.Nested(DepartmentNode), required=True)


class Concept(Open):
    code = fields.String(required=True)
    uri = fields.String(required=True)
    labels = _labels()
    alt_labels = fields.List(fields.String())
    broader = fields.String(allow_none=True)
    narrower = fields.List(fields.String())
    properties = fields.Dict(metadata={"description": "Mulu properties of the concept, e.g. key."})


class VocabularySummary(Schema):
    name = fields.String(required=True)
    uri = fields.String(required=True)
    labels = _labels(required=True)
    concepts = fields.Integer(required=True, metadata={"description": "How many concepts it has."})
    url = fields.String(required=True, metadata={"format": "uri"})


class VocabularyList(Schema):
    items = fields.List(fields.Nested(VocabularySummary), required=True)


class Vocabulary(Schema):
    name = fields.String(required=True)
    uri = fields.String(required=True)
    labels = _labels(required=True)
    description = _labels()
    concepts = fields.List(fields.Nested(Concept), required=True)


class VocabularyArgs(Schema):
    format = fields.String(validate=validate.OneOf(["json", "jsonld", "ttl", "turtle"]),
                           metadata={"description": "Instead of the Accept header: json, jsonld or ttl."})


class ProfileElement(Open):
    name = fields.String(required=True)
    label = _labels(required=True)
    type = fields.String(required=True)
    obligation = fields.String(required=True, metadata={"description": "M mandatory, R recommended, O optional."})
    children = fields.List(fields.Nested(lambda: ProfileElement()))


class Profile(Schema):
    profiles = fields.List(fields.String(), required=True)
    title = _labels(required=True)
    conforms_to = fields.String(required=True)
    elements = fields.List(fields.Nested(ProfileElement), required=True)


# -- tokens and the caller -----------------------------------------------------------------------------


class TokenIn(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=MAX_NAME),
                         metadata={"description": "What the token is for.", "example": "nightly harvest"})
    expires_at = fields.AwareDateTime(allow_none=True, metadata={"description": "When it stops working."})
    expires_in_days = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=3650),
                                     metadata={"description": "Instead of expires_at: days from now."})


class Token(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True, metadata={"description": "Public part of the token, for recognising it."})
    state = fields.String(required=True, validate=validate.OneOf(["active", "expired", "revoked"]))
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True, metadata={"description": "Recorded to the minute."})
    revoked_at = fields.DateTime(allow_none=True)


class TokenCreated(Token):
    token = fields.String(required=True, metadata={"description": "The secret: shown only in this answer."})


class TokenList(Schema):
    items = fields.List(fields.Nested(Token), required=True)


class DepartmentRef(Schema):
    id = fields.Integer(required=True)
    key = fields.String(required=True)
    name = fields.String(required=True)


class Me(Schema):
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    role = fields.String(required=True)
    role_label = fields.String(required=True)
    department = fields.Nested(DepartmentRef, allow_none=True)
    authenticated_by = fields.String(required=True, validate=validate.OneOf(["token", "session"]))
