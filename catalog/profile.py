"""The metadata profile: the national core declared as data, composed with local extensions."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from catalog.i18n import Text

PROFILE_DIR = Path(__file__).parent / "profiles"
OBLIGATIONS = ("O", "R", "M")  # in increasing strength: an extension may only move right
ELEMENT_TYPES = frozenset(
    {
        "string", "text", "integer", "date", "boolean", "url", "code", "choice", "string_list",
        "classification", "resource_code", "resource_code_list", "department", "object", "items",
        "distributions",
    }
)
_LIST_TYPES = {"items", "distributions"}


class ProfileError(ValueError):
    """A profile file is malformed or an extension breaks the standard's extension rules."""


@dataclass(frozen=True)
class Element:
    """One metadata element (or sub-element), described by the attributes the standard requires."""

    name: str
    label: Text
    type: str
    obligation: str = "O"
    help: Text | None = None
    vocabulary: str | None = None
    key_property: str | None = None
    top_level: bool = False
    choices: Mapping[str, Text] = field(default_factory=dict)
    values: tuple[str, ...] | None = None
    max_length: int | None = None
    min: int | None = None
    max: int | None = None
    max_occurs: int | None = None
    default: Any = None
    system: bool = False
    extension: str | None = None
    source: str | None = None
    template_column: str | None = None
    children: tuple[Element, ...] = ()

    @property
    def required(self) -> bool:
        return self.obligation == "M" and not self.system

    @property
    def is_list(self) -> bool:
        return self.type in _LIST_TYPES

    def child(self, name: str) -> Element:
        for element in self.children:
            if element.name == name:
                return element
        raise KeyError(name)

    def to_dict(self, locale: str | None = None) -> dict[str, Any]:
        """A JSON-friendly description (``mulu schema show --format json``, the API)."""
        data: dict[str, Any] = {
            "name": self.name,
            "label": self.label.render(locale) if locale else dict(self.label.values),
            "type": self.type,
            "obligation": self.obligation,
        }
        if self.help:
            data["help"] = self.help.render(locale) if locale else dict(self.help.values)
        for attr in ("vocabulary", "max_length", "min", "max", "max_occurs", "default", "source", "template_column"):
            value = getattr(self, attr)
            if value is not None:
                data[attr] = value
        if self.values is not None:
            data["values"] = list(self.values)
        if self.choices:
            data["choices"] = {k: (v.render(locale) if locale else dict(v.values)) for k, v in self.choices.items()}
        if self.system:
            data["system"] = True
        if self.extension:
            data["extension"] = self.extension
        if self.children:
            data["children"] = [c.to_dict(locale) for c in self.children]
        return data


@dataclass(frozen=True)
class Profile:
    """The composed profile: ordered elements, the names of the profiles it was built from."""

    names: tuple[str, ...]
    title: Text
    elements: tuple[Element, ...]
    conforms_to: str = ""

    def __iter__(self) -> Iterator[Element]:
        return iter(self.elements)

    def get(self, path: str) -> Element:
        """Find an element by dotted path (``share.condition``); list indexes are ignored (``items.2.length``).

        :raises KeyError: when no such element exists.
        """
        parts = [p for p in path.split(".") if not p.isdigit()]
        element = next((e for e in self.elements if e.name == parts[0]), None)
        if element is None:
            raise KeyError(path)
        for part in parts[1:]:
            element = element.child(part)
        return element

    def label(self, path: str) -> Text:
        """The label of a field path, with its parents and the 1-based row of list items.

        ``items.2.length`` becomes 信息项 第3行 · 数据长度 / Information items row 3 · Length.
        """
        parts = path.split(".")
        zh: list[str] = []
        en: list[str] = []
        element: Element | None = None
        for part in parts:
            if part.isdigit() and zh:
                zh[-1] += f" 第{int(part) + 1}行"
                en[-1] += f" row {int(part) + 1}"
                continue
            try:
                element = (
                    next(e for e in self.elements if e.name == part) if element is None else element.child(part)
                )
            except (StopIteration, KeyError):
                zh.append(part)
                en.append(part)
                continue
            zh.append(element.label.values.get("zh", part))
            en.append(element.label.values.get("en", part))
        return Text({"zh": " · ".join(zh), "en": " · ".join(en)})

    @property
    def extension_elements(self) -> tuple[Element, ...]:
        """Elements added by extension profiles; stored in the resource's ``extras``."""
        return tuple(e for e in self.elements if e.extension)

    def walk(self) -> Iterator[tuple[str, Element]]:
        """Every element and sub-element with its dotted path."""
        for element in self.elements:
            yield element.name, element
            for child in element.children:
                yield f"{element.name}.{child.name}", child

    def to_dict(self, locale: str | None = None) -> dict[str, Any]:
        return {
            "profiles": list(self.names),
            "title": self.title.render(locale) if locale else dict(self.title.values),
            "conforms_to": self.conforms_to,
            "elements": [e.to_dict(locale) for e in self.elements],
        }


def _text(value: Any, where: str) -> Text:
    if isinstance(value, str):
        return Text({"zh": value, "en": value})
    if not isinstance(value, Mapping) or "zh" not in value:
        raise ProfileError(f"{where}: a label needs at least a zh text")
    stray = set(map(str, value)) - {"zh", "en"}
    if stray:
        # A comma inside an unquoted YAML flow mapping splits a text into bogus keys: say so.
        raise ProfileError(f"{where}: a text has only zh and en, not {sorted(stray)} (quote texts that contain a comma)")
    return Text({str(k): str(v) for k, v in value.items()})


def _element(raw: Mapping[str, Any], where: str, extension: str | None) -> Element:
    if not isinstance(raw, Mapping) or "name" not in raw:
        raise ProfileError(f"{where}: every element needs a name")
    name = str(raw["name"])
    where = f"{where} element {name!r}"
    kind = raw.get("type", "string")
    if kind not in ELEMENT_TYPES:
        raise ProfileError(f"{where}: unknown type {kind!r}")
    obligation = raw.get("obligation", "O")
    if obligation not in OBLIGATIONS:
        raise ProfileError(f"{where}: obligation must be one of M, R, O")
    if kind == "code" and not raw.get("vocabulary"):
        raise ProfileError(f"{where}: a code element needs a vocabulary")
    known = {
        "name", "label", "help", "type", "obligation", "vocabulary", "key_property", "top_level", "choices",
        "values", "max_length", "min", "max", "max_occurs", "default", "system", "source", "template_column",
        "children",
    }
    unknown = set(raw) - known
    if unknown:
        raise ProfileError(f"{where}: unknown attributes {sorted(unknown)}")
    children = tuple(_element(child, where, extension) for child in raw.get("children") or ())
    return Element(
        name=name,
        label=_text(raw.get("label", name), where),
        type=kind,
        obligation=obligation,
        help=_text(raw["help"], where) if raw.get("help") else None,
        vocabulary=raw.get("vocabulary"),
        key_property=raw.get("key_property"),
        top_level=bool(raw.get("top_level", False)),
        choices={str(k): _text(v, where) for k, v in (raw.get("choices") or {}).items()},
        values=tuple(str(v) for v in raw["values"]) if raw.get("values") is not None else None,
        max_length=raw.get("max_length"),
        min=raw.get("min"),
        max=raw.get("max"),
        max_occurs=raw.get("max_occurs"),
        default=raw.get("default"),
        system=bool(raw.get("system", False)),
        extension=extension,
        source=raw.get("source"),
        template_column=raw.get("template_column"),
        children=children,
    )


def read_profile_file(path: Path) -> dict[str, Any]:
    """Parse one profile YAML file into its raw mapping, with a clear error naming the file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ProfileError(f"{path}: cannot read profile: {exc}") from exc
    if not isinstance(raw, Mapping) or "profile" not in raw:
        raise ProfileError(f"{path}: a profile file needs a 'profile' name")
    return dict(raw)


def _tighten(element: Element, change: Mapping[str, Any], where: str) -> Element:
    updates: dict[str, Any] = {}
    for attr, value in change.items():
        if attr == "name":
            continue
        if attr == "obligation":
            if value not in OBLIGATIONS or OBLIGATIONS.index(value) < OBLIGATIONS.index(element.obligation):
                raise ProfileError(f"{where}: {element.name} obligation may only be tightened, not {value!r}")
        elif attr in ("max_length", "max", "max_occurs"):
            current = getattr(element, attr)
            if current is not None and value > current:
                raise ProfileError(f"{where}: {element.name} {attr} may only be lowered (is {current})")
        elif attr == "min":
            if element.min is not None and value < element.min:
                raise ProfileError(f"{where}: {element.name} min may only be raised (is {element.min})")
        elif attr == "values":
            value = tuple(str(v) for v in value)
            if element.values is not None and not set(value) <= set(element.values):
                raise ProfileError(f"{where}: {element.name} values may only be narrowed")
        else:
            raise ProfileError(f"{where}: {element.name} attribute {attr!r} cannot be changed by an extension")
        updates[attr] = value
    return replace(element, **updates)


def _apply_extension(elements: list[Element], raw: Mapping[str, Any], where: str) -> list[Element]:
    name = str(raw["profile"])
    existing = {e.name for e in elements}
    for entry in raw.get("elements") or ():
        element = _element(entry, where, extension=name)
        if element.name in existing:
            raise ProfileError(f"{where}: element {element.name!r} exists in the core; extensions may not redefine it")
        elements.append(element)
        existing.add(element.name)
    for change in raw.get("tighten") or ():
        path = str(change.get("name", ""))
        parts = path.split(".")
        index = next((i for i, e in enumerate(elements) if e.name == parts[0]), None)
        if index is None:
            raise ProfileError(f"{where}: cannot tighten unknown element {path!r}")
        if len(parts) == 1:
            elements[index] = _tighten(elements[index], change, where)
        else:
            parent = elements[index]
            children = [(_tighten(c, change, where) if c.name == parts[1] else c) for c in parent.children]
            if not any(c.name == parts[1] for c in parent.children):
                raise ProfileError(f"{where}: cannot tighten unknown element {path!r}")
            elements[index] = replace(parent, children=tuple(children))
    return elements


def load_profile(extensions: Iterable[str] = ("huainan",), extra_paths: Iterable[str | Path] = (), vocab=None) -> Profile:
    """Compose the national core with extension profiles.

    :param extensions: names of shipped extension profiles (files in ``catalog/profiles/``).
    :param extra_paths: extension profile files of the installation (``MULU_PROFILE_PATHS``).
    :param vocab: a vocabulary registry; when given, every ``vocabulary`` an element names must exist.
    :returns: the composed profile.
    :raises ProfileError: for a malformed file or an extension that breaks the extension rules.
    """
    core_path = PROFILE_DIR / "national.yaml"
    core = read_profile_file(core_path)
    elements = [_element(e, str(core_path), extension=None) for e in core.get("elements") or ()]
    names = [str(core["profile"])]
    title = _text(core.get("title", core["profile"]), str(core_path))
    paths = [PROFILE_DIR / f"{name}.yaml" for name in extensions] + [Path(p) for p in extra_paths]
    for path in paths:
        if not path.exists():
            raise ProfileError(f"profile extension {path.stem!r} not found ({path})")
        raw = read_profile_file(path)
        if raw.get("extends", "national") not in names:
            raise ProfileError(f"{path}: extends {raw.get('extends')!r}, which is not loaded before it")
        elements = _apply_extension(elements, raw, str(path))
        names.append(str(raw["profile"]))
        title = _text(raw.get("title", raw["profile"]), str(path))
    profile = Profile(names=tuple(names), title=title, elements=tuple(elements), conforms_to=str(core.get("conforms_to", "")))
    if vocab is not None:
        for path, element in profile.walk():
            if element.vocabulary and element.vocabulary not in vocab.names():
                raise ProfileError(f"element {path}: unknown vocabulary {element.vocabulary!r}")
    return profile
