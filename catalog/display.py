"""Human-readable values: code-list codes and keys shown as their labels, booleans as 是/否."""

from __future__ import annotations

from typing import Any

from catalog.i18n import normalise_locale
from catalog.profile import Element

_YES_NO = {"zh_CN": ("是", "否"), "en": ("yes", "no")}
CLASSIFICATION_VOCABULARY = "resource_classification"


def concept_for(element: Element, value: Any, vocab):
    """The vocabulary concept a stored value stands for (by code, or by key for share/open types)."""
    if element.vocabulary is None or value in (None, ""):
        return None
    scheme = vocab.get(element.vocabulary)
    concept = scheme.get(str(value))
    if concept is None and element.key_property:
        found = scheme.by_property(element.key_property, value)
        concept = found[0] if found else None
    return concept


def value_label(element: Element | None, value: Any, vocab, locale: str | None = None) -> Any:
    """Render one stored value for people: labels for codes, 是/否 for booleans, lists joined with 、.

    A 分类码 keeps its digits (people quote them) followed by the label of its 类+项.

    :param element: the profile element the value belongs to (``None`` renders the value as it is).
    :param vocab: the vocabulary registry; only code and classification values need it.
    :returns: a string, or the value unchanged when there is nothing to translate.
    """
    locale = normalise_locale(locale)
    if value is None:
        return ""
    if isinstance(value, bool):
        return _YES_NO[locale][0 if value else 1]
    if element is not None and element.type == "code":
        concept = concept_for(element, value, vocab)
        return concept.label("zh" if locale == "zh_CN" else "en") if concept else value
    if element is not None and element.type == "classification" and vocab is not None and value != "":
        concept = vocab.get(CLASSIFICATION_VOCABULARY).get(str(value)[:3])
        if concept is None:
            return value
        return f"{value}（{concept.label('zh')}）" if locale == "zh_CN" else f"{value} ({concept.label('en')})"
    if element is not None and element.type == "choice" and str(value) in element.choices:
        return element.choices[str(value)].render(locale)
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return value
