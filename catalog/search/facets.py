"""Facet values with labels from the vocabularies, and the trees of departments, divisions and classifications.

Backends count plain stored values (a department id, a 项 code, a theme letter …); this module
rolls counts up the trees (a department counts its subordinate bodies' resources too, a 类 its 项),
labels every value in Chinese and English, and resolves tree filters to the stored values below.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Department
from catalog.search.base import FacetValue
from catalog.search.documents import FACETS
from catalog.workflow import STATES

_KEYED = frozenset({"share_type", "open_type"})  # stored as the concept's ``key`` property, not its code


@dataclass(frozen=True)
class DepartmentNode:
    """A department as facets need it."""

    id: int
    key: str
    name: str
    parent_id: int | None
    division: str | None


def load_departments(session: Session) -> dict[int, DepartmentNode]:
    """Every department by id (a few hundred rows; read per search that needs them)."""
    rows = session.execute(select(Department.id, Department.key, Department.name, Department.parent_id,
                                  Department.division))
    return {row.id: DepartmentNode(*row) for row in rows}


class FacetBuilder:
    """Labels, tree roll-ups and tree filters for one search."""

    def __init__(self, vocab, departments: Mapping[int, DepartmentNode]):
        self.vocab = vocab
        self.departments = departments
        self._by_key = {node.key: node for node in departments.values()}
        self._children: dict[int | None, list[int]] = {}
        for node in departments.values():
            self._children.setdefault(node.parent_id, []).append(node.id)

    # -- filters -----------------------------------------------------------------------------------

    def department_ids(self, keys: Iterable[str]) -> set[int]:
        """Ids of the departments with these keys and of every department below them."""
        wanted = set(keys)
        stack = [self._by_key[key].id for key in wanted if key in self._by_key]
        found: set[int] = set()
        while stack:
            current = stack.pop()
            if current not in found:
                found.add(current)
                stack.extend(self._children.get(current, ()))
        return found

    def division_department_ids(self, codes: Iterable[str]) -> set[int]:
        """Ids of the departments located in these divisions or in divisions below them."""
        scheme = self.vocab.get("division") if "division" in self.vocab else None
        wanted = set(codes)
        stack = list(wanted)
        while scheme is not None and stack:
            code = stack.pop()
            for child in scheme.children(code) if code in scheme else ():
                if child.code not in wanted:
                    wanted.add(child.code)
                    stack.append(child.code)
        return {node.id for node in self.departments.values() if node.division in wanted}

    # -- values ------------------------------------------------------------------------------------

    def build(self, name: str, counts: Mapping, selected: Iterable[str]) -> list[FacetValue]:
        """The values of facet ``name`` from the backend's counts of stored values, best first.

        :param counts: stored value → count (department ids for ``department`` and ``division``).
        :param selected: the values the query filters on (listed even when their count is 0).
        """
        selected = set(selected)
        if name == "department":
            totals, parents = self._department_tree(counts)
        elif name == "division":
            totals, parents = self._division_tree(counts)
        elif name == "classification":
            totals, parents = self._classification_tree(counts)
        else:
            totals = Counter({str(k): v for k, v in counts.items() if k is not None})
            parents = {}
        for value in selected:
            totals.setdefault(value, 0)
        values = [
            FacetValue(value, count, self._labels(name, value), parents.get(value), value in selected)
            for value, count in totals.items()
        ]
        values.sort(key=lambda v: (-v.count, v.value))
        return values

    def _department_tree(self, counts: Mapping) -> tuple[Counter, dict[str, str]]:
        totals: Counter = Counter()
        parents: dict[str, str] = {}
        for department_id, count in counts.items():
            node = self.departments.get(department_id)
            seen: set[int] = set()
            while node is not None and node.id not in seen:
                seen.add(node.id)
                totals[node.key] += count
                parent = self.departments.get(node.parent_id) if node.parent_id else None
                if parent is not None:
                    parents[node.key] = parent.key
                node = parent
        return totals, parents

    def _division_tree(self, counts: Mapping) -> tuple[Counter, dict[str, str]]:
        scheme = self.vocab.get("division") if "division" in self.vocab else None
        totals: Counter = Counter()
        parents: dict[str, str] = {}
        for department_id, count in counts.items():
            node = self.departments.get(department_id)
            if node is None or not node.division:
                continue
            totals[node.division] += count
            chain = scheme.ancestors(node.division) if scheme is not None and node.division in scheme else ()
            below = node.division
            for ancestor in chain:
                totals[ancestor.code] += count
                parents[below] = ancestor.code
                below = ancestor.code
        return totals, parents

    def _classification_tree(self, counts: Mapping) -> tuple[Counter, dict[str, str]]:
        totals: Counter = Counter()
        parents: dict[str, str] = {}
        for item, count in counts.items():
            if not item:
                continue
            totals[item] += count
            if len(item) > 1:
                totals[item[0]] += count
                parents[item] = item[0]
        return totals, parents

    def _labels(self, name: str, value: str) -> dict[str, str]:
        if name == "department":
            node = self._by_key.get(value)
            label = node.name if node else value
            return {"zh": label, "en": label}
        if name == "status":
            state = STATES.get(value)
            return dict(state.values) if state else {"zh": value, "en": value}
        vocabulary = FACETS[name].vocabulary
        if vocabulary and vocabulary in self.vocab:
            scheme = self.vocab.get(vocabulary)
            concept = scheme.by_property("key", value)[:1] if name in _KEYED else (scheme.get(value),)
            if concept and concept[0] is not None:
                return {"zh": concept[0].label("zh"), "en": concept[0].label("en")}
        return {"zh": value, "en": value}
