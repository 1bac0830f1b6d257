"""The registry of loaded concept schemes and the loading of shipped and imported vocabulary files."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path

from rdflib.util import guess_format

from vocab.errors import VocabularyError
from vocab.model import ConceptScheme
from vocab.skos import parse_scheme

#: Package resource folder holding the shipped ``<scheme_name>.ttl`` files.
DATA_PACKAGE = "vocab"
DATA_FOLDER = "data"


class VocabularyRegistry:
    """Concept schemes by name; loading a scheme whose name is already present replaces it."""

    def __init__(self, schemes: Iterable[ConceptScheme] = ()) -> None:
        """Create a registry.

        :param schemes: initial schemes; a later scheme replaces an earlier one of the same name.
        """
        self._schemes: dict[str, ConceptScheme] = {}
        for scheme in schemes:
            self.add(scheme)

    def __contains__(self, name: object) -> bool:
        return name in self._schemes

    def __iter__(self) -> Iterator[ConceptScheme]:
        return iter(self._schemes[name] for name in self.names())

    def __len__(self) -> int:
        return len(self._schemes)

    def add(self, scheme: ConceptScheme) -> ConceptScheme | None:
        """Register a scheme, replacing any scheme of the same name.

        :param scheme: the scheme.
        :returns: the replaced scheme, or ``None`` if the name was new.
        """
        previous = self._schemes.get(scheme.name)
        self._schemes[scheme.name] = scheme
        return previous

    def get(self, name: str) -> ConceptScheme:
        """Return a scheme by name.

        :param name: the scheme name, e.g. ``"update_cycle"``.
        :returns: the scheme.
        :raises VocabularyError: if no scheme of that name is loaded.
        """
        try:
            return self._schemes[name]
        except KeyError:
            known = ", ".join(self.names()) or "none"
            raise VocabularyError(f"unknown vocabulary {name!r} (loaded: {known})") from None

    def names(self) -> list[str]:
        """Return the names of the loaded schemes.

        :returns: the names, sorted.
        """
        return sorted(self._schemes)

    def copy(self) -> VocabularyRegistry:
        """Return a registry holding the same schemes, which can be changed independently.

        :returns: the new registry.
        """
        return VocabularyRegistry(self._schemes.values())

    def load_file(self, path: str | Path) -> ConceptScheme:
        """Load one vocabulary file and register its scheme, replacing a scheme of the same name.

        The file must hold exactly one ``skos:ConceptScheme``; its name is the last path segment
        of the scheme URI (``https://mulu.example.org/vocab/theme/`` is ``theme``). The RDF
        syntax is guessed from the file suffix and defaults to Turtle.

        :param path: the file.
        :returns: the loaded scheme.
        :raises VocabularyError: if the file cannot be read, does not parse or is not a valid
            scheme (see :func:`vocab.skos.scheme_from_graph`); the registry is left unchanged.
        """
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise VocabularyError(f"{path}: cannot read vocabulary file: {exc.strerror or exc}") from exc
        scheme = parse_scheme(data, str(path), guess_format(path.name) or "turtle")
        self.add(scheme)
        return scheme


def shipped_files() -> list[str]:
    """List the vocabulary files shipped in ``vocab/data``.

    :returns: their file names, sorted.
    """
    folder = resources.files(DATA_PACKAGE) / DATA_FOLDER
    return sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".ttl"))


@functools.lru_cache(maxsize=1)
def default_registry() -> VocabularyRegistry:
    """Return the registry of the shipped vocabularies, parsed once per process.

    The result is shared: do not load files into it; use :func:`load_registry` instead.

    :returns: the shared registry.
    :raises VocabularyError: if a shipped file is invalid.
    """
    registry = VocabularyRegistry()
    folder = resources.files(DATA_PACKAGE) / DATA_FOLDER
    for name in shipped_files():
        entry = folder / name
        registry.add(parse_scheme(entry.read_bytes(), f"{DATA_PACKAGE}/{DATA_FOLDER}/{name}"))
    return registry


def load_registry(extra_paths: Iterable[str | Path] = ()) -> VocabularyRegistry:
    """Build a registry of the shipped vocabularies overridden or extended by extra files.

    The shipped files are parsed only once per process (see :func:`default_registry`); the
    extra files are loaded in order, a later file replacing an earlier scheme of the same name.

    :param extra_paths: vocabulary files to load after the shipped ones.
    :returns: a new registry, independent of the shared default one.
    :raises VocabularyError: if a file is invalid.
    """
    registry = default_registry().copy()
    for path in extra_paths:
        registry.load_file(path)
    return registry
