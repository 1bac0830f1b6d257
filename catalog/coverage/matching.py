"""Link suggestions: which catalog resource probably fulfils each unlinked inventory item.

Score = 0.7 × title similarity + 0.3 × item-name similarity when the inventory item lists expected item
names and the resource has items; title similarity alone otherwise. Titles are compared by character
bigrams (Dice, place names removed), item names as whole folded names (Dice of the name sets). Each
resource is suggested for one item at most, best pairs first, and never one already confirmed for
another item. Suggestions are stored, not confirmed: a person confirms with ``InventoryService.link``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalog.coverage import access
from catalog.coverage.similarity import bigrams, dice, fold, place_names, strip_places
from catalog.i18n import message
from catalog.models import Department, InventoryItem, Resource
from catalog.permissions import require

MIN_SCORE = 0.35
TITLE_WEIGHT, ITEMS_WEIGHT = 0.7, 0.3
# Words that name "the whole area" in titles (全市外商投资企业信息) and say no more than a place name.
AREA_WORDS = ("全市", "全县", "全区", "本市", "本县", "本区")


@dataclass(frozen=True)
class Comparable:
    """A title or item list prepared for comparison: its bigrams and its folded names."""

    id: int
    department_id: int
    title: str
    grams: frozenset[str]
    names: frozenset[str]


@dataclass(frozen=True)
class Suggestion:
    """A proposed link with its score (0–1) and the two parts it is made of."""

    item_id: int
    item_title: str
    department_id: int
    resource_id: int
    resource_title: str
    score: float
    title_score: float
    items_score: float | None

    def to_dict(self) -> dict:
        return {"item": self.item_id, "item_title": self.item_title, "department": self.department_id,
                "resource": self.resource_id, "resource_title": self.resource_title, "score": round(self.score, 3),
                "title_score": round(self.title_score, 3),
                "items_score": None if self.items_score is None else round(self.items_score, 3)}


def prepare(id: int, department_id: int, title: str, names: Iterable[str], places: tuple[str, ...]) -> Comparable:
    """Fold a title (without place names) into bigrams and item names into a set."""
    return Comparable(id, department_id, title, bigrams(strip_places(fold(title), places)),
                frozenset(n for n in (fold(name) for name in names) if n))


def score(item: Comparable, resource: Comparable) -> tuple[float, float, float | None]:
    """``(score, title score, item-name score or None)`` of one item against one resource."""
    title = dice(item.grams, resource.grams)
    if not item.names or not resource.names:
        return title, title, None
    names = dice(item.names, resource.names)
    return TITLE_WEIGHT * title + ITEMS_WEIGHT * names, title, names


def suggest_links(items: Iterable[Comparable], resources: Iterable[Comparable], *, taken: Iterable[int] = (),
                  min_score: float = MIN_SCORE, rejected: Iterable[tuple[int, int]] = ()) -> list[Suggestion]:
    """Pair items with resources of the same department, best scores first, each resource at most once.

    :param items: the unlinked inventory items.
    :param resources: the candidate resources.
    :param taken: resources already confirmed for some item (never suggested again).
    :param min_score: pairs below it are not suggested.
    :param rejected: ``(item id, resource id)`` pairs a person rejected: the item gets its next best resource.
    :returns: the suggestions, best first.
    """
    taken, rejected = set(taken), set(rejected)
    by_department: dict[int, list[Comparable]] = defaultdict(list)
    for resource in resources:
        if resource.id not in taken:
            by_department[resource.department_id].append(resource)
    pairs = []
    for item in items:
        for resource in by_department.get(item.department_id, ()):
            if (item.id, resource.id) in rejected:
                continue
            total, title, names = score(item, resource)
            if total >= min_score:
                pairs.append((total, item, resource, title, names))
    # Ties go to the lower ids, so that the same catalog always gives the same suggestions.
    pairs.sort(key=lambda p: (-p[0], p[1].id, p[2].id))
    suggestions, matched = [], set()
    for total, item, resource, title, names in pairs:
        if item.id in matched or resource.id in taken:
            continue
        matched.add(item.id)
        taken.add(resource.id)
        suggestions.append(Suggestion(item.id, item.title, item.department_id, resource.id, resource.title, total,
                                      title, names))
    return suggestions


def division_places(vocab) -> tuple[str, ...]:
    """The place names stripped from titles: every label of the division vocabulary."""
    labels = [text for concept in vocab.get("division") for text in (*concept.labels.values(), *concept.alt_labels)]
    return place_names([*labels, *AREA_WORDS])


def store_suggestions(service, *, department_id: int | None = None, min_score: float | None = None) -> list[Suggestion]:
    """Recompute and store the suggestions of the unlinked items the service's actor may edit.

    :param service: an :class:`~catalog.coverage.inventory.InventoryService`.
    :param department_id: only this department.
    :param min_score: the lowest score worth suggesting.
    :returns: the new suggestions, best first.
    """
    session, actor = service.session, service.actor
    if department_id is not None:
        require(access.can_match_inventory(actor, department_id), message("link inventory items"))
        departments = [department_id]
    else:
        departments = [d for d in session.scalars(select(Department.id)) if access.can_match_inventory(actor, d)]
    items = list(session.scalars(select(InventoryItem).where(InventoryItem.department_id.in_(departments))))
    open_items = [item for item in items if item.resource_id is None]
    taken = {item.resource_id for item in session.scalars(select(InventoryItem).where(InventoryItem.resource_id.is_not(None)))}
    resources = session.scalars(select(Resource).where(Resource.department_id.in_(departments))
                                .options(selectinload(Resource.items)))
    places = division_places(service.container.vocab)
    suggestions = suggest_links(
        [prepare(i.id, i.department_id, i.title, i.item_names or (), places) for i in open_items],
        [prepare(r.id, r.department_id, r.title, (x.name for x in r.items), places) for r in resources],
        taken=taken, min_score=MIN_SCORE if min_score is None else min_score,
        rejected={(i.id, resource_id) for i in open_items for resource_id in i.rejected_resource_ids or ()},
    )
    by_item = {s.item_id: s for s in suggestions}
    now = service.container.now()
    for item in open_items:
        found = by_item.get(item.id)
        item.suggested_resource_id = found.resource_id if found else None
        item.suggestion_score = round(found.score, 4) if found else None
        item.suggested_at = now if found else None
    session.flush()
    service.audit("inventory.suggest", "inventory", department_id,
                  {"items": len(open_items), "suggestions": len(suggestions)})
    return suggestions
