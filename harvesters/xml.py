"""The one hardened XML parser of the harvesters: no entities, no external references, no network.

Everything XML a harvester reads goes through :func:`parse_xml` (or, when another library parses
the bytes afterwards, as rdflib does for RDF/XML, through :func:`check_xml` first). defusedxml
refuses entity declarations, so "billion laughs" bombs and external entities (``file:///etc/passwd``,
``http://…``) fail before any expansion or fetch. Quirk seen in the wild: some OWL/RDF files
declare entities for namespace abbreviations (``<!ENTITY xsd "http://…#">``, e.g. the DCAT-AP
2.1.1 RDF schema); those are refused too — DCAT catalog exports of CKAN, udata and GeoNetwork use
none.
"""

from __future__ import annotations

import codecs
import re
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeElementTree

from catalog.i18n import message
from harvesters.base import HarvestError

_HINT = message("Ask the remote site to serve well-formed XML without DTD entities.")
_DECLARATION = re.compile(rb"^(\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
# Encodings expat reads itself; any other one Python knows is converted to UTF-8 first.
_EXPAT_NATIVE = frozenset({"utf-8", "utf-16", "utf-16-le", "utf-16-be", "ascii", "latin-1", "iso8859-1"})


def _as_utf8(data: bytes, url: str | None) -> bytes:
    """Convert a document declared in an encoding expat cannot read (GB2312, GBK, GB18030, Big5 …) to UTF-8.

    Quirk seen in the wild: Chinese government systems still serve ``encoding="GB2312"`` XML, and
    expat answers "multi-byte encodings are not supported".
    """
    match = _DECLARATION.match(data[:200])
    if not match:
        return data
    declared = match.group(2).decode("ascii")
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        raise HarvestError(message("{url} uses an unknown character encoding ({detail}).", url=url or "the document",
                                   detail=declared), url=url, hint=message("Ask the remote site to serve UTF-8.")) from None
    if codec in _EXPAT_NATIVE:
        return data
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise HarvestError(message("{url} is not valid {encoding} text ({detail}).", url=url or "the document",
                                   encoding=declared, detail=str(exc)[:200]), url=url) from None
    return _redeclare(text, declared)


def _redeclare(text: str, declared: str) -> bytes:
    text = text.lstrip("\ufeff")
    return re.sub(r"encoding\s*=\s*[\"']" + re.escape(declared) + r"[\"']", 'encoding="UTF-8"', text, count=1).encode("utf-8")


def parse_xml(data: bytes, *, url: str | None = None) -> Element:
    """Parse an XML document safely.

    :param data: the raw bytes (the XML declaration names their encoding).
    :param url: where they came from, for the error message.
    :returns: the root element.
    :raises HarvestError: for malformed XML, an unknown encoding, entity declarations or external
        references — each with a message naming the URL.
    """
    where = url or "the document"
    data = _as_utf8(data, url)
    try:
        return SafeElementTree.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.EntitiesForbidden:
        raise HarvestError(message("{url} declares XML entities, which are refused (XML bomb protection).", url=where),
                           url=url, hint=_HINT) from None
    except (defusedxml.ExternalReferenceForbidden, defusedxml.DTDForbidden):
        raise HarvestError(message("{url} refers to external XML resources, which are never fetched.", url=where),
                           url=url, hint=_HINT) from None
    except ParseError as exc:
        detail = str(exc)
        if "unknown encoding" in detail:
            raise HarvestError(message("{url} uses an unknown character encoding ({detail}).", url=where, detail=detail),
                               url=url, hint=message("Ask the remote site to serve UTF-8.")) from None
        raise HarvestError(message("{url} is not well-formed XML ({detail}).", url=where, detail=detail),
                           url=url, hint=_HINT) from None
    except (ValueError, LookupError) as exc:
        if "unknown encoding" in str(exc):
            raise HarvestError(message("{url} uses an unknown character encoding ({detail}).", url=where, detail=str(exc)),
                               url=url, hint=message("Ask the remote site to serve UTF-8.")) from None
        raise HarvestError(message("{url} is not well-formed XML ({detail}).", url=where, detail=str(exc)),
                           url=url, hint=_HINT) from None


def check_xml(data: bytes, *, url: str | None = None) -> None:
    """Refuse XML that is malformed or declares entities before another parser reads the same bytes.

    :raises HarvestError: as :func:`parse_xml`.
    """
    parse_xml(data, url=url)
