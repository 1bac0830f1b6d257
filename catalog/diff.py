"""Readable field-level differences between two resource snapshots, labelled from the profile."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from catalog.i18n import Text
from catalog.profile import Profile

# Bookkeeping that changes with every write and says nothing about the content.
IGNORED = frozenset({"id", "version", "created_at", "updated_at", "metadata_updated", "department"})
REGISTRY_LABELS = {"status": Text({"zh": "状态", "en": "Status"})}


@dataclass(frozen=True)
class FieldChange:
    """One changed value: ``kind`` is ``changed``, ``added`` or ``removed``; for rows of a list also
    ``renamed`` (old and new are the row's names) and ``reordered`` (old and new are the row orders)."""

    path: str
    label: Text
    kind: str
    old: Any
    new: Any

    def to_dict(self, locale: str | None = None) -> dict[str, Any]:
        return {"path": self.path, "label": self.label.render(locale), "kind": self.kind, "old": self.old, "new": self.new}


def _rows_by_key(rows: list[Mapping[str, Any]], key: str) -> dict[str, Mapping[str, Any]] | None:
    keyed = {str(r.get(key)): r for r in rows if r.get(key)}
    return keyed if len(keyed) == len(rows) else None


def _renames(old_keyed: dict[str, Mapping[str, Any]], new_keyed: dict[str, Mapping[str, Any]],
             key: str) -> dict[str, str]:
    """Pair rows that disappeared under one name with rows that appeared under another.

    A pair is the same content under a new name, or failing that a row at the same place in the list.
    """
    removed = [k for k in old_keyed if k not in new_keyed]
    added = [k for k in new_keyed if k not in old_keyed]

    def rest(row: Mapping[str, Any]) -> dict[str, Any]:
        return {name: value for name, value in row.items() if name != key}

    pairs: dict[str, str] = {}
    for old_key in removed:
        match = next((k for k in added if k not in pairs.values() and rest(old_keyed[old_key]) == rest(new_keyed[k])), None)
        if match is not None:
            pairs[old_key] = match
    old_position = {k: i for i, k in enumerate(old_keyed)}
    new_position = {k: i for i, k in enumerate(new_keyed)}
    for old_key in removed:
        if old_key in pairs:
            continue
        match = next((k for k in added if k not in pairs.values() and new_position[k] == old_position[old_key]), None)
        if match is not None:
            pairs[old_key] = match
    return pairs


def _compare_rows(path: str, old: list, new: list, key: str, profile: Profile, out: list[FieldChange]) -> None:
    old_keyed, new_keyed = _rows_by_key(old, key), _rows_by_key(new, key)
    renames: dict[str, str] = {}
    if old_keyed is None or new_keyed is None:
        old_keyed = {str(i): r for i, r in enumerate(old)}
        new_keyed = {str(i): r for i, r in enumerate(new)}
    else:
        renames = _renames(old_keyed, new_keyed, key)
    # Each surviving row: its key in the new list → its key in the old one.
    old_key_of = {k: k for k in new_keyed if k in old_keyed} | {new: old for old, new in renames.items()}
    for row_key, row in old_keyed.items():
        if row_key not in new_keyed and row_key not in renames:
            out.append(FieldChange(f"{path}[{row_key}]", _row_label(profile, path, row_key), "removed", dict(row), None))
    for row_key, row in new_keyed.items():
        if row_key not in old_key_of:
            out.append(FieldChange(f"{path}[{row_key}]", _row_label(profile, path, row_key), "added", None, dict(row)))
            continue
        before_key = old_key_of[row_key]
        before = old_keyed[before_key]
        if before_key != row_key:
            label = profile.label(f"{path}.{key}")
            label = Text({lang: f"{text} [{before_key}]" for lang, text in label.values.items()})
            out.append(FieldChange(f"{path}[{before_key}].{key}", label, "renamed", before_key, row_key))
        for name in sorted(set(before) | set(row)):
            if name == key and before_key != row_key:
                continue
            if before.get(name) != row.get(name):
                label = profile.label(f"{path}.{name}")
                label = Text({lang: f"{text} [{row_key}]" for lang, text in label.values.items()})
                out.append(FieldChange(f"{path}[{row_key}].{name}", label, "changed", before.get(name), row.get(name)))
    old_order = [k for k in (renames.get(k, k) for k in old_keyed) if k in old_key_of]
    new_order = [k for k in new_keyed if k in old_key_of]
    if old_order != new_order:
        out.append(FieldChange(f"{path}.order", profile.label(path), "reordered", old_order, new_order))


def _row_label(profile: Profile, path: str, row_key: str) -> Text:
    label = profile.label(path)
    return Text({lang: f"{text} [{row_key}]" for lang, text in label.values.items()})


def diff_snapshots(old: Mapping[str, Any], new: Mapping[str, Any], profile: Profile) -> list[FieldChange]:
    """Compare two resource JSON snapshots field by field.

    Information items are matched by name (distributions by URL) so that a renamed, added, removed or
    reordered row reads as such instead of as a cascade of changes. A row whose name changed is found
    by its unchanged content, or else by its unchanged place in the list.

    :returns: the changes in profile order.
    """
    out: list[FieldChange] = []
    order = [e.name for e in profile.elements] + ["status", "code"]
    keys = sorted(set(old) | set(new), key=lambda k: order.index(k) if k in order else len(order))
    for key in keys:
        if key in IGNORED:
            continue
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if key in ("items", "distributions"):
            _compare_rows(key, before or [], after or [], "name" if key == "items" else "url", profile, out)
        elif isinstance(before, Mapping) or isinstance(after, Mapping):
            before, after = before or {}, after or {}
            for name in sorted(set(before) | set(after)):
                if before.get(name) != after.get(name):
                    out.append(
                        FieldChange(f"{key}.{name}", profile.label(f"{key}.{name}"), "changed", before.get(name), after.get(name))
                    )
        else:
            kind = "added" if before in (None, [], "") else "removed" if after in (None, [], "") else "changed"
            label = REGISTRY_LABELS.get(key) or profile.label(key)
            out.append(FieldChange(key, label, kind, before, after))
    return out
