"""Page links of list answers: ``links`` in the body and the same as an RFC 8288 ``Link`` header."""

from __future__ import annotations

from flask import request, url_for

REL_ORDER = ("first", "prev", "next", "last")


def page_links(page: int, pages: int) -> dict[str, str]:
    """``self``, ``first``, ``last`` and, where they exist, ``prev`` and ``next`` of the current address.

    Every other query parameter is kept; ``page`` is replaced.
    """
    args = request.args.to_dict(flat=False)

    def at(number: int) -> str:
        return url_for(request.endpoint, **(request.view_args or {}), **{**args, "page": [str(number)]},
                       _external=True)

    last = max(pages, 1)
    links = {"self": at(page), "first": at(1), "last": at(last)}
    if page > 1:
        links["prev"] = at(min(page - 1, last))
    if page < pages:
        links["next"] = at(page + 1)
    return links


def link_header(links: dict[str, str]) -> str:
    """The ``Link`` header of page links (``self`` left out)."""
    return ", ".join(f'<{links[rel]}>; rel="{rel}"' for rel in REL_ORDER if rel in links)
