"""The metadata profile as a Markdown reference table (``mulu schema show``, ``docs/metadata.md``)."""

from __future__ import annotations

from catalog.profile import Element, Profile

OBLIGATION_LABELS = {
    "zh_CN": {"M": "必选", "R": "推荐", "O": "可选"},
    "en": {"M": "mandatory", "R": "recommended", "O": "optional"},
}
HEADERS = {
    "zh_CN": ("字段", "名称", "类型", "约束", "代码表", "说明"),
    "en": ("Field", "Label", "Type", "Obligation", "Code list", "Help"),
}


def _row(path: str, element: Element, locale: str) -> str:
    obligation = OBLIGATION_LABELS[locale][element.obligation]
    if element.system:
        obligation += " (系统生成)" if locale == "zh_CN" else " (set by the registry)"
    if element.extension:
        obligation += f" [{element.extension}]"
    help_text = element.help.render(locale) if element.help else ""
    limits = []
    if element.max_length:
        limits.append(f"≤{element.max_length}")
    if element.values is not None:
        limits.append("∈ " + ", ".join(element.values))
    cells = [f"`{path}`", element.label.render(locale), element.type, obligation, element.vocabulary or "",
             " ".join([help_text, *limits]).strip()]
    return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def profile_markdown(profile: Profile, locale: str = "zh_CN") -> str:
    """Render every element and sub-element of the profile as one Markdown table."""
    locale = "en" if locale.startswith("en") else "zh_CN"
    headers = HEADERS[locale]
    lines = [
        f"# {profile.title.render(locale)}",
        "",
        f"{'依据' if locale == 'zh_CN' else 'Conforms to'}: {profile.conforms_to}",
        f"{'配置' if locale == 'zh_CN' else 'Profiles'}: {' + '.join(profile.names)}",
        "",
        "| " + " | ".join(headers) + " |",
        "|" + "---|" * len(headers),
    ]
    lines.extend(_row(path, element, locale) for path, element in profile.walk())
    return "\n".join(lines) + "\n"
