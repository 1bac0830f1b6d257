"""The CKAN mapping: resources as CKAN packages, departments as organizations, classifications as groups, fq and sort.

Pure functions over the models and the vocabularies, no web framework: ``web/ckan_api.py`` speaks
the Action API with them. ``mapping`` owns the shapes, ``query`` the search parameters. The mapping
is documented field by field in ``docs/ckan.md``; in short:

- ``name`` is the 信息资源代码 made CKAN-safe (``307015/000031`` → ``307015-000031``), ``resource-<id>``
  for drafts without a code; ``id`` is our resource id;
- ``notes`` is the abstract, ``organization`` the provider department, ``groups`` its 资源分类 类 and 项,
  ``tags`` the keywords, ``resources`` the distributions, ``license_id``/``isopen``/``private`` come from
  the open attribute, and ``extras`` carry the other national fields as key/value strings.

Search parameters are translated into the backend-neutral :class:`~catalog.search.SearchQuery`
vocabulary (facet names, sort names), never into engine syntax.
"""

from catalog.ckan.mapping import (
    CKAN_VERSION,
    bilingual,
    ckan_name,
    classification_concepts,
    classification_groups,
    distribution_format,
    group_dict,
    license_for,
    name_from,
    organization_dict,
    organization_names,
    package_dict,
    package_name,
    package_reference,
    package_state,
    public_open_types,
    resource_dict,
    tag_dict,
    tag_names,
    timestamp,
)
from catalog.ckan.query import (
    ALIASES,
    DEFAULT_SORT,
    MAX_CLAUSES,
    MAX_FQ,
    NO_OPS,
    ROWS_DEFAULT,
    ROWS_MAX,
    SORT_CLAUSES,
    FilterQuery,
    ModifiedRange,
    facet_field,
    filter_fields,
    parse_fq,
    search_sort,
)

__all__ = [
    "ALIASES",
    "CKAN_VERSION",
    "DEFAULT_SORT",
    "FilterQuery",
    "MAX_CLAUSES",
    "MAX_FQ",
    "ModifiedRange",
    "NO_OPS",
    "ROWS_DEFAULT",
    "ROWS_MAX",
    "SORT_CLAUSES",
    "bilingual",
    "ckan_name",
    "classification_concepts",
    "classification_groups",
    "distribution_format",
    "facet_field",
    "filter_fields",
    "group_dict",
    "license_for",
    "name_from",
    "organization_dict",
    "organization_names",
    "package_dict",
    "package_name",
    "package_reference",
    "package_state",
    "parse_fq",
    "public_open_types",
    "resource_dict",
    "search_sort",
    "tag_dict",
    "tag_names",
    "timestamp",
]
