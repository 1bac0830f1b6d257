"""DCAT / DCAT-AP 3 in both directions: Resource JSON -> rdflib graph, and graph -> resource input.

See docs/dcat.md for the mapping and the Mulu vocabulary (https://mulu.example.org/ns#).
"""

from catalog.dcat.export import CatalogInfo, DcatWriter, catalog_graph, dataset_uri, resource_graph
from catalog.dcat.formats import FORMATS, RdfFormat, serialize
from catalog.dcat.listing import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    CatalogPage,
    catalog_page,
    catalog_publisher,
)
from catalog.dcat.read import DcatReader, dataset_to_input, graph_to_inputs, pick_text
from catalog.dcat.terms import MULU, MULU_TERMS, NATIONAL_GUIDE, mulu_vocabulary_graph

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "FORMATS",
    "MAX_PAGE_SIZE",
    "MULU",
    "MULU_TERMS",
    "NATIONAL_GUIDE",
    "CatalogInfo",
    "CatalogPage",
    "DcatReader",
    "DcatWriter",
    "RdfFormat",
    "catalog_graph",
    "catalog_page",
    "catalog_publisher",
    "dataset_to_input",
    "dataset_uri",
    "graph_to_inputs",
    "mulu_vocabulary_graph",
    "pick_text",
    "resource_graph",
    "serialize",
]
