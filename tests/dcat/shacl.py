"""SHACL helpers of the DCAT tests: the official DCAT-AP 3 shapes from ../shared/fixtures and pyshacl violations."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from rdflib import RDF, Graph
from rdflib.namespace import SH


def violations(data: Graph, shapes: Graph) -> list[str]:
    """Every ``sh:Violation`` of ``data`` as "focus path: message" (warnings are allowed)."""
    pyshacl = pytest.importorskip("pyshacl")
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, allow_warnings=True)
    found = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        if report.value(result, SH.resultSeverity) == SH.Violation:
            found.append(f"{report.value(result, SH.focusNode)} {report.value(result, SH.resultPath)}: "
                         f"{report.value(result, SH.resultMessage)}")
    return found


@functools.cache
def dcat_ap_3_0_0(fixtures_dir: Path) -> Graph:
    """The single DCAT-AP 3.0.0 shapes file."""
    return Graph().parse(fixtures_dir / "semiceu-dcat-ap/3.0.0/dcat-ap-SHACL.ttl")


@functools.cache
def dcat_ap_3_0_1(fixtures_dir: Path, *, vocabularies: bool = False) -> Graph:
    """The modular DCAT-AP 3.0.1 shapes (the single 3.0.1 file breaks pyshacl on dcat:DataService,
    SEMICeu/DCAT-AP#448); ``vocabularies`` adds ``mdr-vocabularies.shape.ttl`` (EU authority tables only)."""
    shapes = Graph()
    for path in sorted((fixtures_dir / "semiceu-dcat-ap/3.0.1/html-shacl").glob("*.ttl")):
        if vocabularies or path.name != "mdr-vocabularies.shape.ttl":
            shapes.parse(path)
    return shapes
