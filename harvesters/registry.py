"""Which harvesters exist: the built-ins, plus third-party ones from the entry-point group ``mulu.harvesters``.

A package adds a harvester with, in its ``setup.cfg``::

    [options.entry_points]
    mulu.harvesters =
        oaipmh = mypackage.oaipmh:OaiPmhHarvester

A built-in name cannot be replaced by an entry point (a typo in a plugin must not silently swap
the CKAN harvester).
"""

from __future__ import annotations

import importlib
import logging
from importlib.metadata import entry_points

from harvesters.base import Harvester

ENTRY_POINT_GROUP = "mulu.harvesters"
BUILTIN = {
    "ckan": "harvesters.ckan:CkanHarvester",
    "csw": "harvesters.csw:CswHarvester",
    "dcat": "harvesters.dcat:DcatHarvester",
    "spreadsheet": "harvesters.spreadsheet:SpreadsheetHarvester",
}
log = logging.getLogger(__name__)


class UnknownHarvesterError(LookupError):
    """No harvester has that name."""


def _load(target: str) -> type[Harvester]:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def available() -> dict[str, type[Harvester]]:
    """Every harvester by name: built-ins first, then entry points (a broken plugin is logged and left out)."""
    found = {name: _load(target) for name, target in BUILTIN.items()}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name in found:
            log.warning("harvester entry point %s ignored: the name is built in", point.name)
            continue
        try:
            harvester = point.load()
        except Exception:  # a broken third-party package must not take the built-ins down
            log.exception("harvester entry point %s cannot be loaded", point.name)
            continue
        if isinstance(harvester, type) and issubclass(harvester, Harvester):
            found[point.name] = harvester
        else:
            log.warning("harvester entry point %s is not a Harvester subclass", point.name)
    return found


def get(name: str) -> type[Harvester]:
    """The harvester class of a source type.

    :raises UnknownHarvesterError: naming the known types.
    """
    if name in BUILTIN:
        return _load(BUILTIN[name])
    harvesters = available()
    if name not in harvesters:
        raise UnknownHarvesterError(f"unknown harvester {name!r}; known: {', '.join(sorted(harvesters))}")
    return harvesters[name]
