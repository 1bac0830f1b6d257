"""DCAT graph -> resource input (the shape ResourceSchema loads): the Mulu vocabulary when present, else plain DCAT."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, SKOS

from catalog.dcat.terms import ADMS, EU_ACCESS_RIGHT, MULU, VCARD, Concepts, extension_term, media_type_from

LANGUAGES = ("zh", "zh-cn", "zh-hans", "")


def pick_text(graph: Graph, node, predicate, lang: str = "zh") -> str | None:
    """One text of a multilingual property: ``lang`` first, then Chinese, untagged, English, anything."""
    values = [v for v in graph.objects(node, predicate) if isinstance(v, Literal)]
    if not values:
        return None
    order = [lang.lower(), *LANGUAGES, "en"]

    def rank(literal: Literal) -> tuple[int, str]:
        tag = (literal.language or "").lower()
        return (order.index(tag) if tag in order else len(order), str(literal))

    return str(min(values, key=rank)).strip() or None


def _value(graph: Graph, node, predicate) -> Any:
    value = graph.value(node, predicate)
    if value is None:
        return None
    if isinstance(value, Literal):
        python = value.toPython()
        return python if isinstance(python, bool | int) else str(value)
    return value


class DcatReader:
    """Reads ``dcat:Dataset`` nodes back into resource input dictionaries."""

    def __init__(self, vocab, profile=None, lang: str = "zh"):
        self.vocab = vocab
        self.profile = profile
        self.lang = lang
        self.concepts = Concepts(vocab)

    def datasets(self, graph: Graph) -> list[URIRef]:
        """The datasets of the graph, in catalog order when a Mulu id orders them, else by URI."""
        nodes = set(graph.subjects(RDF.type, DCAT.Dataset))
        return sorted(nodes, key=lambda n: (str(_value(graph, n, MULU.metadataId) or ""), str(n)))

    def code(self, graph: Graph, node, predicate, scheme: str) -> str | None:
        """The code of a concept-valued property (a concept URI of ``scheme``, or a literal code or label)."""
        for value in graph.objects(node, predicate):
            concept = self.concepts.from_uri(value, scheme)
            if concept is not None:
                return concept.code
            if isinstance(value, Literal):
                return str(value)
        return None

    def to_input(self, graph: Graph, node) -> dict[str, Any]:
        """One dataset as resource input (codes, never labels; read-only keys as informative extras)."""
        g, c, lang = graph, self.concepts, self.lang
        text = lambda subject, predicate: pick_text(g, subject, predicate, lang)  # noqa: E731
        data: dict[str, Any] = {"title": text(node, DCTERMS.title)}
        abstract = text(node, DCTERMS.description)
        data["abstract"] = abstract

        identifier = _value(g, node, DCTERMS.identifier)
        metadata_id = _value(g, node, MULU.metadataId)
        if metadata_id is None:
            for other in g.objects(node, ADMS.identifier):
                metadata_id = _value(g, other, SKOS.notation)
        data["metadata_id"] = metadata_id or identifier
        data["code"] = identifier if identifier and identifier != metadata_id else None
        data["status"] = _value(g, node, MULU.status)

        publisher = g.value(node, DCTERMS.publisher)
        if publisher is not None:
            department = {"uscc": _value(g, publisher, DCTERMS.identifier), "name": text(publisher, FOAF.name)}
            data["department"] = {k: v for k, v in department.items() if v} or None
        data["provider_unit"] = text(node, MULU.providerUnit)

        themes = list(g.objects(node, DCAT.theme))
        classification = _value(g, node, MULU.classificationCode)
        if classification is None:
            concept = c.first_in(themes, "resource_classification")
            classification = concept.code if concept else None
        data["classification_code"] = classification
        theme = c.first_in(themes, "theme")
        data["theme"] = theme.code if theme else None

        cycle = self.code(g, node, MULU.updateCycle, "update_cycle")
        if cycle is None:
            frequency = g.value(node, DCTERMS.accrualPeriodicity)
            concept = c.from_match("update_cycle", frequency) if frequency is not None else None
            cycle = concept.code if concept else None
        data["update_cycle"] = cycle

        data["share"] = {
            "type": self.code(g, node, MULU.shareType, "share_type"),
            "condition": text(node, MULU.shareCondition),
            "basis": text(node, MULU.shareBasis),
            "method": self.code(g, node, MULU.shareMethod, "share_method"),
        }
        data["open"] = self._open(g, node)
        data["format"] = {
            "class": self.code(g, node, MULU.formatClass, "format"),
            "type": self.code(g, node, MULU.formatType, "format"),
            "description": text(node, MULU.formatDescription),
        }
        if data["format"]["class"] is None:
            data["format"] = self._format_from_distributions(g, node)

        data["keywords"] = sorted(
            {str(k) for k in g.objects(node, DCAT.keyword) if (k.language or "").lower() in (lang, *LANGUAGES)}
        ) or sorted({str(k) for k in g.objects(node, DCAT.keyword)})
        data["keyword_thesaurus"] = text(node, MULU.keywordThesaurus)
        data["related_codes"] = sorted(str(v) for v in g.objects(node, MULU.relatedCode))
        maintainer = text(node, MULU.metadataMaintainer)
        if maintainer is None:
            contact = g.value(node, DCAT.contactPoint)
            maintainer = text(contact, VCARD.fn) if contact is not None else None
        data["metadata_maintainer"] = maintainer
        issued = _value(g, node, DCTERMS.issued)
        data["published_on"] = str(issued)[:10] if issued else None
        modified = _value(g, node, DCTERMS.modified)
        data["metadata_updated"] = str(modified)[:10] if modified else None

        data["items"] = [self._item(g, item) for item in self._ordered(g, g.objects(node, MULU.item))]
        data["distributions"] = [
            self._distribution(g, node, d) for d in self._ordered(g, g.objects(node, DCAT.distribution))
        ]
        data.update(self._extensions(g, node))
        if data["code"] is None:
            del data["code"]
        return data

    def _open(self, g: Graph, node) -> dict[str, Any]:
        is_open = _value(g, node, MULU.isOpen)
        open_type = self.code(g, node, MULU.openType, "open_type")
        rights = g.value(node, DCTERMS.accessRights)
        if open_type is None and rights is not None:
            concept = self.concepts.from_match("open_type", rights)
            open_type = concept.code if concept else None
        if is_open is None and rights is not None:
            is_open = rights != EU_ACCESS_RIGHT.NON_PUBLIC
        return {"is_open": is_open, "type": open_type, "condition": pick_text(g, node, MULU.openCondition, self.lang)}

    def _format_from_distributions(self, g: Graph, node) -> dict[str, Any] | None:
        for distribution in g.objects(node, DCAT.distribution):
            concept = self.concepts.from_uri(g.value(distribution, DCTERMS.format), "format")
            if concept is None:
                concept = self.concepts.concept("format", _value(g, distribution, DCTERMS.format))
            if concept is not None:
                top = concept.code if concept.broader is None else concept.broader
                return {"class": top, "type": None if concept.broader is None else concept.code}
        return None

    @staticmethod
    def _ordered(g: Graph, nodes: Iterable) -> list:
        return sorted(nodes, key=lambda n: (int(_value(g, n, MULU.position) or 0), str(n)))

    def _item(self, g: Graph, node) -> dict[str, Any]:
        item = {
            "name": pick_text(g, node, DCTERMS.title, self.lang) or pick_text(g, node, FOAF.name, self.lang),
            "data_type": self.code(g, node, MULU.dataType, "item_data_type"),
            "length": _value(g, node, MULU.length),
            "description": pick_text(g, node, DCTERMS.description, self.lang),
            "share_type": self.code(g, node, MULU.shareType, "share_type"),
            "share_condition": pick_text(g, node, MULU.shareCondition, self.lang),
            "is_open": _value(g, node, MULU.isOpen),
        }
        # Like the Resource JSON: the four columns always, the item-level overrides only when set.
        optional = ("share_type", "share_condition", "is_open")
        return {k: v for k, v in item.items() if v is not None or k not in optional}

    def _distribution(self, g: Graph, dataset, node) -> dict[str, Any]:
        service = g.value(node, DCAT.accessService)
        url = g.value(node, DCAT.downloadURL) or g.value(node, DCAT.accessURL)
        if url is None and service is not None:
            url = g.value(service, DCAT.endpointURL)
        kind = _value(g, node, MULU.distributionKind)
        if kind is None:
            kind = "service" if service is not None else ("file" if g.value(node, DCAT.downloadURL) else "link")
        media = g.value(node, DCAT.mediaType)
        title = pick_text(g, node, DCTERMS.title, self.lang)
        if title is None and service is not None:
            title = pick_text(g, service, DCTERMS.title, self.lang)
        row = {
            "kind": kind,
            "title": title,
            # The dataset's own URI stands in for a missing address (dcat:accessURL is mandatory).
            "url": str(url) if url is not None and url != dataset else None,
            "service_type": _value(g, node, MULU.serviceType),
            "media_type": media_type_from(media) if media is not None else _value(g, node, MULU.mediaType),
            "description": pick_text(g, node, DCTERMS.description, self.lang),
        }
        return row

    def _extensions(self, g: Graph, node) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for element in self.profile.extension_elements if self.profile is not None else ():
            predicate = extension_term(element.name)
            if element.type == "code":
                value = self.code(g, node, predicate, element.vocabulary)
            elif element.type in ("string_list", "resource_code_list"):
                value = sorted(str(v) for v in g.objects(node, predicate)) or None
            else:
                value = _value(g, node, predicate)
            if value is not None:
                found[element.name] = value
        return found


def graph_to_inputs(graph: Graph, vocab, profile=None, lang: str = "zh") -> list[dict[str, Any]]:
    """Every ``dcat:Dataset`` of a graph as resource input for ``ResourceSchema.load`` / ``ResourceService``.

    :param graph: a parsed DCAT graph (Mulu's own output or any DCAT / DCAT-AP catalog).
    :param vocab: the vocabulary registry (concept URIs, EU exact matches back to codes).
    :param profile: the metadata profile, for extension elements (``mulu:<camelCaseName>``).
    :param lang: the preferred language of multilingual literals.
    """
    reader = DcatReader(vocab, profile, lang)
    return [reader.to_input(graph, node) for node in reader.datasets(graph)]


def dataset_to_input(graph: Graph, node, vocab, profile=None, lang: str = "zh") -> dict[str, Any]:
    """One dataset node as resource input (see :func:`graph_to_inputs`)."""
    return DcatReader(vocab, profile, lang).to_input(graph, URIRef(str(node)))
