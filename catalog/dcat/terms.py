"""DCAT namespaces, the small Mulu vocabulary for what DCAT lacks, and concept URI look-ups both ways."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, SKOS, XSD

from vocab import MULU, Concept

ADMS = Namespace("http://www.w3.org/ns/adms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
EU_ACCESS_RIGHT = Namespace("http://publications.europa.eu/resource/authority/access-right/")
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"

#: The national guide (政务信息资源目录编制指南（试行）, 发改高技〔2017〕1272号) and the metadata standard, as
#: ``dct:Standard`` URIs minted by Mulu (neither document has an official URI).
NATIONAL_GUIDE = URIRef("https://mulu.example.org/standards/fgw-2017-1272")
GBT_21063_3 = URIRef("https://mulu.example.org/standards/gbt-21063.3-2007")

PREFIXES = {
    "dcat": DCAT, "dct": DCTERMS, "foaf": FOAF, "vcard": VCARD, "skos": SKOS, "adms": ADMS,
    "mulu": MULU, "xsd": XSD, "hydra": HYDRA,
}

# The Mulu vocabulary: term -> (kind, Chinese label, English comment). Documented in docs/dcat.md.
MULU_TERMS: dict[str, tuple[str, str, str]] = {
    "InformationItem": ("class", "信息项", "A data item (column) of a structured resource."),
    "item": ("object", "信息项", "Links a dcat:Dataset to one of its mulu:InformationItem (ordered by mulu:position)."),
    "position": ("datatype", "序号", "0-based order of an information item or distribution within its dataset."),
    "dataType": ("object", "数据类型", "Data type of an information item: a concept of the item_data_type scheme."),
    "length": ("datatype", "数据长度", "Length in bytes of an information item (xsd:integer)."),
    "isOpen": ("datatype", "是否向社会开放", "Whether the resource (or item) is open to the public (xsd:boolean)."),
    "shareType": ("object", "共享类型", "Share type between government bodies: a concept of the share_type scheme."),
    "shareCondition": ("datatype", "共享条件", "Condition of conditional sharing."),
    "shareBasis": ("datatype", "不予共享依据", "Legal or policy basis for not sharing."),
    "shareMethod": ("object", "共享方式", "Share method: a concept of the share_method scheme."),
    "openType": ("object", "开放类型", "Open type: a concept of the open_type scheme (also given as dct:accessRights)."),
    "openCondition": ("datatype", "开放条件", "Condition of conditional opening."),
    "updateCycle": ("object", "更新周期", "Update cycle: a concept of the update_cycle scheme (also dct:accrualPeriodicity)."),
    "classificationCode": ("datatype", "信息资源分类码", "The full resource classification code (类+项+目[+细目])."),
    "formatClass": ("object", "格式分类", "Format class: a top concept of the format scheme."),
    "formatType": ("object", "格式类型", "Format type: a narrower concept of the format scheme."),
    "formatDescription": ("datatype", "其他格式描述", "Free-text description of an other or self-describing format."),
    "providerUnit": ("datatype", "提供方内部部门", "The provider's internal unit."),
    "relatedCode": ("datatype", "关联资源代码", "Code of a related (department) resource."),
    "keywordThesaurus": ("datatype", "词典名称", "Name of the thesaurus the keywords come from."),
    "metadataMaintainer": ("datatype", "元数据维护方", "Body responsible for the metadata."),
    "metadataId": ("datatype", "元数据标识符", "The metadata identifier (always present, even before registration)."),
    "status": ("datatype", "状态", "Workflow state of the catalog entry (draft, registered, published …)."),
    "distributionKind": ("datatype", "类别", "Kind of an online resource: link, service, table or file."),
    "serviceType": ("datatype", "服务类型", "Type of a service interface, e.g. REST, WebService."),
    "mediaType": ("datatype", "媒体类型", "A distribution's media type written as free text (not an IANA type)."),
    "dataScope": ("object", "数据范围", "Extension element data_scope: a concept of the data_scope scheme."),
    "secrecy": ("object", "涉密属性", "Extension element secrecy: a concept of the secrecy scheme."),
    "sourceSystem": ("datatype", "所属系统", "Extension element source_system."),
    "recordCount": ("datatype", "数据量", "Extension element record_count (xsd:integer)."),
}


def extension_term(name: str) -> URIRef:
    """The Mulu predicate of a profile extension element: ``record_count`` -> ``mulu:recordCount``."""
    head, *rest = name.split("_")
    return MULU[head + "".join(part.title() for part in rest)]


def mulu_vocabulary_graph() -> Graph:
    """The Mulu vocabulary itself as RDFS/OWL (for ``/ns`` and the documentation)."""
    graph = Graph()
    graph.bind("mulu", MULU)
    graph.bind("owl", OWL)
    ontology = URIRef(str(MULU).rstrip("#"))
    graph.add((ontology, RDF.type, OWL.Ontology))
    graph.add((ontology, RDFS.label, Literal("Mulu 政务信息资源目录扩展词汇", lang="zh")))
    graph.add((ontology, RDFS.label, Literal("Mulu vocabulary for what DCAT lacks", lang="en")))
    kinds = {"class": OWL.Class, "object": OWL.ObjectProperty, "datatype": OWL.DatatypeProperty}
    for term, (kind, label, comment) in MULU_TERMS.items():
        node = MULU[term]
        graph.add((node, RDF.type, kinds[kind]))
        graph.add((node, RDFS.label, Literal(label, lang="zh")))
        graph.add((node, RDFS.comment, Literal(comment, lang="en")))
        graph.add((node, RDFS.isDefinedBy, ontology))
    return graph


def bind_prefixes(graph: Graph) -> Graph:
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


class Concepts:
    """Concept look-ups in both directions over a vocabulary registry (value -> URI, URI -> concept)."""

    def __init__(self, vocab):
        self.vocab = vocab
        self._by_uri: dict[str, Concept] = {}
        self._by_match: dict[tuple[str, str], Concept] = {}
        for scheme in vocab:
            for concept in scheme:
                self._by_uri[concept.uri] = concept
                for target in concept.exact_match:
                    self._by_match.setdefault((scheme.name, target), concept)

    def concept(self, scheme_name: str, value: Any) -> Concept | None:
        """The concept of a stored value: a code, a ``mulu:key`` or a label."""
        if value is None or value == "" or scheme_name not in self.vocab:
            return None
        scheme = self.vocab.get(scheme_name)
        text = str(value)
        return scheme.get(text) or next(iter(scheme.by_property("key", text)), None) or scheme.find(text)

    def uri(self, scheme_name: str, value: Any) -> URIRef | None:
        concept = self.concept(scheme_name, value)
        return URIRef(concept.uri) if concept else None

    def match(self, scheme_name: str, value: Any, prefix: str) -> URIRef | None:
        """The ``skos:exactMatch`` target starting with ``prefix`` (e.g. the EU frequency URI)."""
        concept = self.concept(scheme_name, value)
        for target in concept.exact_match if concept else ():
            if target.startswith(prefix):
                return URIRef(target)
        return None

    def from_uri(self, uri: Any, scheme_name: str | None = None) -> Concept | None:
        concept = self._by_uri.get(str(uri))
        if concept is not None and scheme_name is not None and concept.scheme != scheme_name:
            return None
        return concept

    def from_match(self, scheme_name: str, uri: Any) -> Concept | None:
        return self._by_match.get((scheme_name, str(uri)))

    def first_in(self, uris: Iterable[Any], scheme_name: str) -> Concept | None:
        for uri in uris:
            concept = self.from_uri(uri, scheme_name)
            if concept is not None:
                return concept
        return None


def media_type_uri(media_type: str | None) -> URIRef | None:
    """An IANA media type URI for ``text/csv`` (``None`` for anything not shaped like a media type)."""
    if not media_type or not re.fullmatch(r"[\w.+-]+/[\w.+-]+", media_type.strip()):
        return None
    return URIRef(IANA_MEDIA_TYPES + media_type.strip().lower())


#: IANA media type -> EU file-type authority code (dct:format of a distribution).
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
FILE_TYPES = {
    "text/csv": "CSV", "application/json": "JSON", "application/xml": "XML", "text/xml": "XML",
    "text/html": "HTML", "application/pdf": "PDF", "application/zip": "ZIP", "text/plain": "TXT",
    "application/vnd.ms-excel": "XLS",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/msword": "DOC",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/geo+json": "GEOJSON", "application/rdf+xml": "RDF_XML", "text/turtle": "RDF_TURTLE",
    "application/ld+json": "JSON_LD",
}


def file_type_uri(media_type: str | None) -> URIRef | None:
    code = FILE_TYPES.get((media_type or "").strip().lower())
    return URIRef(EU_FILE_TYPE + code) if code else None


def media_type_from(node: Any) -> str | None:
    text = str(node)
    for prefix in (IANA_MEDIA_TYPES, "http://www.iana.org/assignments/media-types/"):
        if text.startswith(prefix):
            return text[len(prefix):]
    return text or None
