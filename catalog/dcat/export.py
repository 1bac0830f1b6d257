"""Resource JSON -> DCAT / DCAT-AP 3 graph: a dcat:Catalog of dcat:Dataset, with the Mulu vocabulary for the rest."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, SKOS, XSD

from catalog.dcat.terms import (
    ADMS,
    EU_ACCESS_RIGHT,
    EU_FREQUENCY,
    GBT_21063_3,
    HYDRA,
    MULU,
    NATIONAL_GUIDE,
    VCARD,
    Concepts,
    bind_prefixes,
    extension_term,
    file_type_uri,
    media_type_uri,
)

Text = str | Mapping[str, str]


@dataclass(frozen=True)
class CatalogInfo:
    """What describes the catalog itself (DCAT-AP makes title, description and publisher mandatory).

    :ivar base_uri: base of every minted URI, ending with ``/`` (e.g. ``https://data.huainan.example/``).
    :ivar title: the catalog title, a string (Chinese) or ``{lang: text}``.
    :ivar description: the catalog description, likewise.
    :ivar publisher_name: the publishing body (e.g. 淮南市数据资源管理局).
    :ivar homepage: the portal's home page (``foaf:homepage``); the base URI when omitted.
    :ivar publisher_uscc: the publisher's 统一社会信用代码, if known.
    :ivar language: the default language tag of literals.
    :ivar timezone: the catalog's time zone: ``dct:modified`` is written in it, so its date is the
        resource's 元数据更新日期 (UTC when omitted).
    """

    base_uri: str
    title: Text
    description: Text
    publisher_name: Text
    homepage: str | None = None
    publisher_uscc: str | None = None
    language: str = "zh"
    timezone: tzinfo | None = None

    @property
    def base(self) -> str:
        return self.base_uri if self.base_uri.endswith("/") else self.base_uri + "/"


def dataset_uri(info: CatalogInfo, resource: Mapping[str, Any]) -> URIRef:
    """The dataset URI: the resource's page, ``<base>resources/<id>`` (the metadata id when there is no id)."""
    key = resource.get("id") or resource.get("metadata_id")
    return URIRef(f"{info.base}resources/{key}")


def department_uri(info: CatalogInfo, department: Mapping[str, Any]) -> URIRef:
    key = department.get("uscc") or department.get("id") or department.get("key")
    return URIRef(f"{info.base}departments/{key}")


def _texts(graph: Graph, node, predicate, value: Text | None, lang: str) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        for tag, text in value.items():
            if text:
                graph.add((node, predicate, Literal(text, lang=tag or None)))
    elif str(value).strip():
        graph.add((node, predicate, Literal(str(value), lang=lang)))


def _plain(graph: Graph, node, predicate, value: Any) -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool):
        graph.add((node, predicate, Literal(value, datatype=XSD.boolean)))
    elif isinstance(value, int):
        graph.add((node, predicate, Literal(value, datatype=XSD.integer)))
    else:
        graph.add((node, predicate, Literal(str(value))))


def _date(value: Any, timezone: tzinfo | None = None) -> Literal | None:
    """An ``xsd:date`` or ``xsd:dateTime``; a moment is written in ``timezone`` (naive ones are UTC, as stored)."""
    if not value:
        return None
    if isinstance(value, str) and "T" not in value and " " not in value.strip():
        return Literal(value, datatype=XSD.date)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return Literal(value, datatype=XSD.dateTime)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return Literal(value.astimezone(timezone or UTC).isoformat(), datatype=XSD.dateTime)
    if isinstance(value, date):
        return Literal(value.isoformat(), datatype=XSD.date)
    return Literal(str(value), datatype=XSD.date)


class DcatWriter:
    """Adds resources to a DCAT graph. Use :func:`catalog_graph` or :func:`resource_graph` unless streaming pages."""

    def __init__(self, info: CatalogInfo, vocab, profile=None, graph: Graph | None = None):
        self.info = info
        self.vocab = vocab
        self.profile = profile
        self.concepts = Concepts(vocab)
        self.graph = bind_prefixes(graph if graph is not None else Graph())
        # Prefixes for Mulu's own URIs: shorter Turtle, and rdflib's Turtle writer caches bound names
        # (a third faster on large pages).
        self.graph.bind("resource", f"{info.base}resources/")
        self.graph.bind("department", f"{info.base}departments/")
        self.catalog = URIRef(f"{info.base}catalog")
        self._agents: set[URIRef] = set()

    # -- the catalog ------------------------------------------------------------------------------

    def add_catalog(self) -> URIRef:
        g, info, node = self.graph, self.info, self.catalog
        g.add((node, RDF.type, DCAT.Catalog))
        _texts(g, node, DCTERMS.title, info.title, info.language)
        _texts(g, node, DCTERMS.description, info.description, info.language)
        homepage = URIRef(info.homepage or info.base)
        g.add((node, FOAF.homepage, homepage))
        g.add((homepage, RDF.type, FOAF.Document))
        for scheme_name in ("theme", "resource_classification"):
            if scheme_name in self.vocab:
                scheme = self.vocab.get(scheme_name)
                taxonomy = URIRef(scheme.uri)
                g.add((node, DCAT.themeTaxonomy, taxonomy))
                g.add((taxonomy, RDF.type, SKOS.ConceptScheme))
                _texts(g, taxonomy, SKOS.prefLabel, scheme.labels, info.language)
                _texts(g, taxonomy, DCTERMS.title, scheme.labels, info.language)
        g.add((node, DCTERMS.conformsTo, NATIONAL_GUIDE))
        # The publishing body is a department like any other when its 统一社会信用代码 is known.
        publisher = URIRef(f"{info.base}departments/{info.publisher_uscc}" if info.publisher_uscc
                           else f"{info.base}publisher")
        self._agent(publisher, info.publisher_name, info.publisher_uscc)
        g.add((node, DCTERMS.publisher, publisher))
        language = URIRef("http://publications.europa.eu/resource/authority/language/ZHO")
        g.add((node, DCTERMS.language, language))
        self._authority(language, DCTERMS.LinguisticSystem)
        self._standard(NATIONAL_GUIDE, {"zh": "政务信息资源目录编制指南（试行）（发改高技〔2017〕1272号）",
                                        "en": "Guide to compiling government information resource catalogs (trial), NDRC 2017 No. 1272"})
        self._standard(GBT_21063_3, {"zh": "GB/T 21063.3-2007 政务信息资源目录体系 第3部分：核心元数据",
                                     "en": "GB/T 21063.3-2007 Government information resource catalog system, part 3: core metadata"})
        return node

    def _standard(self, node: URIRef, titles: Mapping[str, str]) -> None:
        self.graph.add((node, RDF.type, DCTERMS.Standard))
        _texts(self.graph, node, DCTERMS.title, titles, "zh")

    def _agent(self, node: URIRef, name: Text, uscc: str | None) -> URIRef:
        if node in self._agents:
            return node
        self._agents.add(node)
        g = self.graph
        g.add((node, RDF.type, FOAF.Agent))
        g.add((node, RDF.type, FOAF.Organization))
        _texts(g, node, FOAF.name, name, self.info.language)
        if uscc:
            g.add((node, DCTERMS.identifier, Literal(uscc)))
        return node

    # -- one resource -----------------------------------------------------------------------------

    def add_resource(self, resource: Mapping[str, Any]) -> URIRef:
        """Add one resource (the Resource JSON) as a ``dcat:Dataset`` of the catalog."""
        g, lang, c = self.graph, self.info.language, self.concepts
        node = dataset_uri(self.info, resource)
        g.add((self.catalog, DCAT.dataset, node))
        g.add((node, RDF.type, DCAT.Dataset))
        _texts(g, node, DCTERMS.title, resource.get("title"), lang)
        _texts(g, node, DCTERMS.description, resource.get("abstract") or resource.get("title"), lang)
        code, metadata_id = resource.get("code"), resource.get("metadata_id")
        g.add((node, DCTERMS.identifier, Literal(code or metadata_id or str(node))))
        # Fragment URIs, not blank nodes: the same resource always serialises to the same bytes
        # (ETags, harvesters' content hashes).
        if code and metadata_id:
            other = URIRef(f"{node}#metadata-id")
            g.add((node, ADMS.identifier, other))
            g.add((other, RDF.type, ADMS.Identifier))
            g.add((other, SKOS.notation, Literal(metadata_id)))
        _plain(g, node, MULU.metadataId, metadata_id)
        _plain(g, node, MULU.status, resource.get("status"))
        g.add((node, DCTERMS.conformsTo, NATIONAL_GUIDE))

        department = resource.get("department") or {}
        if department:
            publisher = self._agent(department_uri(self.info, department), department.get("name") or "",
                                    department.get("uscc") or resource.get("provider_code"))
            g.add((node, DCTERMS.publisher, publisher))
            g.add((node, DCTERMS.creator, publisher))
            contact = URIRef(f"{node}#contact")
            g.add((node, DCAT.contactPoint, contact))
            g.add((contact, RDF.type, VCARD.Organization))
            g.add((contact, RDF.type, VCARD.Kind))
            g.add((contact, VCARD.fn, Literal(resource.get("metadata_maintainer") or department.get("name") or "",
                                              lang=lang)))
        _texts(g, node, MULU.providerUnit, resource.get("provider_unit"), lang)

        classification = resource.get("classification_code")
        _plain(g, node, MULU.classificationCode, classification)
        if classification:
            for prefix in (classification[:3], classification[:1]):
                uri = c.uri("resource_classification", prefix) if prefix else None
                if uri is not None:
                    g.add((node, DCAT.theme, self._concept_node(uri)))
                    break
        theme = c.uri("theme", resource.get("theme"))
        if theme is not None:
            g.add((node, DCAT.theme, self._concept_node(theme)))

        cycle = resource.get("update_cycle")
        frequency = c.match("update_cycle", cycle, EU_FREQUENCY)
        if frequency is not None:
            g.add((node, DCTERMS.accrualPeriodicity, frequency))
            self._authority(frequency, DCTERMS.Frequency)
        self._concept(node, MULU.updateCycle, "update_cycle", cycle)

        share = resource.get("share") or {}
        self._concept(node, MULU.shareType, "share_type", share.get("type"))
        _texts(g, node, MULU.shareCondition, share.get("condition"), lang)
        _texts(g, node, MULU.shareBasis, share.get("basis"), lang)
        self._concept(node, MULU.shareMethod, "share_method", share.get("method"))
        opening = resource.get("open") or {}
        _plain(g, node, MULU.isOpen, opening.get("is_open"))
        self._concept(node, MULU.openType, "open_type", opening.get("type"))
        _texts(g, node, MULU.openCondition, opening.get("condition"), lang)
        rights = self.access_rights(opening, share)
        if rights is not None:
            g.add((node, DCTERMS.accessRights, rights))
            self._authority(rights, DCTERMS.RightsStatement)

        fmt = resource.get("format") or {}
        self._concept(node, MULU.formatClass, "format", fmt.get("class"))
        self._concept(node, MULU.formatType, "format", fmt.get("type"))
        _texts(g, node, MULU.formatDescription, fmt.get("description"), lang)

        for keyword in resource.get("keywords") or ():
            g.add((node, DCAT.keyword, Literal(keyword, lang=lang)))
        _texts(g, node, MULU.keywordThesaurus, resource.get("keyword_thesaurus"), lang)
        for related in resource.get("related_codes") or ():
            g.add((node, MULU.relatedCode, Literal(related)))
        _texts(g, node, MULU.metadataMaintainer, resource.get("metadata_maintainer"), lang)

        issued = _date(resource.get("published_on"))
        if issued is not None:
            g.add((node, DCTERMS.issued, issued))
        modified = _date(resource.get("updated_at") or resource.get("metadata_updated"), self.info.timezone)
        if modified is not None:
            g.add((node, DCTERMS.modified, modified))

        for position, item in enumerate(resource.get("items") or ()):
            self._item(node, position, item)
        for position, distribution in enumerate(resource.get("distributions") or ()):
            self._distribution(node, position, distribution)
        self._extensions(node, resource)
        return node

    def access_rights(self, opening: Mapping[str, Any], share: Mapping[str, Any] | None = None) -> URIRef | None:
        """``dct:accessRights``: the EU access-right URI of the open attributes, else of the share type.

        :param opening: the resource's ``open`` attributes (是否向社会开放, 开放类型).
        :param share: the resource's ``share`` attributes; used only when the open question is unanswered:
            a resource 不予共享 even between government bodies is ``NON_PUBLIC``.
        """
        if opening.get("is_open") is False:
            return EU_ACCESS_RIGHT.NON_PUBLIC
        rights = self.concepts.match("open_type", opening.get("type"), str(EU_ACCESS_RIGHT))
        if rights is None and opening.get("is_open"):
            return EU_ACCESS_RIGHT.PUBLIC
        if rights is None and opening.get("is_open") is None and share:
            concept = self.concepts.concept("share_type", share.get("type"))
            if concept is not None and concept.properties.get("key") == "not_shared":
                return EU_ACCESS_RIGHT.NON_PUBLIC
        return rights

    def add_page(self, view: str, *, total: int, first: str, last: str, previous: str | None = None,
                 next: str | None = None) -> URIRef:
        """Describe the page this graph holds: the catalog as a ``hydra:Collection`` seen through a
        ``hydra:PartialCollectionView``.

        :param view: the URL of this page (the view's URI).
        :param total: how many datasets the whole (filtered) catalog has (``hydra:totalItems``).
        :param first: the URL of the first page; ``last``, ``previous`` and ``next`` likewise (the latter
            two omitted on the first and last page).
        """
        g, node = self.graph, URIRef(view)
        g.add((self.catalog, RDF.type, HYDRA.Collection))
        g.add((self.catalog, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
        g.add((self.catalog, HYDRA.view, node))
        g.add((node, RDF.type, HYDRA.PartialCollectionView))
        for predicate, target in ((HYDRA.first, first), (HYDRA.last, last), (HYDRA.previous, previous),
                                  (HYDRA.next, next)):
            if target:
                g.add((node, predicate, URIRef(target)))
        return node

    def _authority(self, uri: URIRef, cls: URIRef) -> None:
        """An EU authority-table value: its class and its table (DCAT-AP checks ``skos:inScheme``)."""
        self.graph.add((uri, RDF.type, cls))
        self.graph.add((uri, SKOS.inScheme, URIRef(str(uri).rstrip("/").rsplit("/", 1)[0])))

    def _url(self, uri: URIRef) -> URIRef:
        self.graph.add((uri, RDF.type, RDFS.Resource))
        return uri

    def _concept_node(self, uri: URIRef) -> URIRef:
        """Describe a Mulu concept where it is used (type, scheme, labels, notation): DCAT-AP wants skos:Concept."""
        concept = self.concepts.from_uri(uri)
        g = self.graph
        if concept is not None and (uri, RDF.type, SKOS.Concept) not in g:
            g.add((uri, RDF.type, SKOS.Concept))
            g.add((uri, SKOS.inScheme, URIRef(self.vocab.get(concept.scheme).uri)))
            g.add((uri, SKOS.notation, Literal(concept.code)))
            _texts(g, uri, SKOS.prefLabel, concept.labels, self.info.language)
        return uri

    def _concept(self, node, predicate, scheme: str, value: Any) -> None:
        uri = self.concepts.uri(scheme, value)
        if uri is not None:
            self.graph.add((node, predicate, self._concept_node(uri)))
        elif value not in (None, ""):
            self.graph.add((node, predicate, Literal(str(value))))

    def _item(self, dataset: URIRef, position: int, item: Mapping[str, Any]) -> None:
        g, lang = self.graph, self.info.language
        node = URIRef(f"{dataset}#item-{position + 1}")
        g.add((dataset, MULU.item, node))
        g.add((node, RDF.type, MULU.InformationItem))
        g.add((node, MULU.position, Literal(position, datatype=XSD.integer)))
        _texts(g, node, DCTERMS.title, item.get("name"), lang)
        self._concept(node, MULU.dataType, "item_data_type", item.get("data_type"))
        _plain(g, node, MULU.length, item.get("length"))
        _texts(g, node, DCTERMS.description, item.get("description"), lang)
        self._concept(node, MULU.shareType, "share_type", item.get("share_type"))
        _texts(g, node, MULU.shareCondition, item.get("share_condition"), lang)
        _plain(g, node, MULU.isOpen, item.get("is_open"))

    def _distribution(self, dataset: URIRef, position: int, row: Mapping[str, Any]) -> None:
        g, lang = self.graph, self.info.language
        node = URIRef(f"{dataset}#distribution-{position + 1}")
        g.add((dataset, DCAT.distribution, node))
        g.add((node, RDF.type, DCAT.Distribution))
        g.add((node, MULU.position, Literal(position, datatype=XSD.integer)))
        _plain(g, node, MULU.distributionKind, row.get("kind"))
        _texts(g, node, DCTERMS.title, row.get("title"), lang)
        _texts(g, node, DCTERMS.description, row.get("description"), lang)
        url = row.get("url")
        # DCAT-AP makes dcat:accessURL mandatory: a mounted table or file without an address points to
        # the dataset page (read back as "no address").
        g.add((node, DCAT.accessURL, self._url(URIRef(url) if url else dataset)))
        if url and row.get("kind") == "file":
            g.add((node, DCAT.downloadURL, self._url(URIRef(url))))
        media = row.get("media_type")
        media_uri = media_type_uri(media)
        if media_uri is not None:
            g.add((node, DCAT.mediaType, media_uri))
            g.add((media_uri, RDF.type, DCTERMS.MediaType))
        else:
            _plain(g, node, MULU.mediaType, media)
        # DCAT-AP restricts dct:format to the EU file-type table: derived from the media type; the
        # national format class/type stay on the dataset (mulu:formatClass / mulu:formatType).
        file_type = file_type_uri(media)
        if file_type is not None:
            g.add((node, DCTERMS.format, file_type))
            g.add((file_type, RDF.type, DCTERMS.MediaTypeOrExtent))
            self._authority(file_type, DCTERMS.MediaTypeOrExtent)
        _plain(g, node, MULU.serviceType, row.get("service_type"))
        if row.get("kind") == "service":
            service = URIRef(f"{dataset}#service-{position + 1}")
            g.add((node, DCAT.accessService, service))
            g.add((service, RDF.type, DCAT.DataService))
            _texts(g, service, DCTERMS.title, row.get("title") or row.get("service_type") or "服务接口", lang)
            endpoint = URIRef(url) if url else dataset
            g.add((service, DCAT.endpointURL, endpoint))
            self._url(endpoint)
            g.add((service, DCAT.servesDataset, dataset))
            _plain(g, service, MULU.serviceType, row.get("service_type"))

    def _extensions(self, node: URIRef, resource: Mapping[str, Any]) -> None:
        if self.profile is None:
            return
        for element in self.profile.extension_elements:
            value = resource.get(element.name)
            predicate = extension_term(element.name)
            if element.type == "code":
                self._concept(node, predicate, element.vocabulary, value)
            elif element.type in ("string_list", "resource_code_list"):
                for entry in value or ():
                    _plain(self.graph, node, predicate, entry)
            elif element.type == "date":
                literal = _date(value, self.info.timezone)
                if literal is not None:
                    self.graph.add((node, predicate, literal))
            else:
                _plain(self.graph, node, predicate, value)


def catalog_graph(resources: Iterable[Mapping[str, Any]], info: CatalogInfo, vocab, profile=None) -> Graph:
    """The whole catalog as one graph: a ``dcat:Catalog`` with a ``dcat:Dataset`` per resource.

    :param resources: Resource JSON documents (``ResourceService.to_json``).
    :param info: title, description, publisher, homepage and base URI of the catalog.
    :param vocab: the vocabulary registry (concept URIs, EU exact matches).
    :param profile: the metadata profile, for the extension elements (omitted: no extension elements).
    """
    writer = DcatWriter(info, vocab, profile)
    writer.add_catalog()
    for resource in resources:
        writer.add_resource(resource)
    return writer.graph


def resource_graph(resource: Mapping[str, Any], info: CatalogInfo, vocab, profile=None) -> Graph:
    """One resource within its catalog (the per-resource RDF at the resource URL)."""
    return catalog_graph([resource], info, vocab, profile)
