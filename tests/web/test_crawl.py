"""Every link of the portal leads somewhere: crawl it as a visitor and as each role, and never meet a 5xx."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.web.conftest import ROLES

LIMIT = 300
_HREF = re.compile(r'href="([^"#]*)')


def crawl(client, start: str = "/", limit: int = LIMIT) -> dict[str, int]:
    """Breadth-first over same-site links (GET only: forms are not submitted); url → status."""
    seen: dict[str, int] = {}
    queue = [start]
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.mimetype != "text/html":
            continue
        for href in _HREF.findall(response.get_data(as_text=True)):
            href = href.replace("&amp;", "&")
            parts = urlsplit(href)
            if href and not parts.scheme and not parts.netloc and href.startswith("/") and href not in seen:
                queue.append(href)
    return seen


def test_anonymous_crawl_meets_no_server_error(client):
    seen = crawl(client)
    assert len(seen) > 50
    errors = {url: status for url, status in seen.items() if status >= 500}
    assert not errors
    # Visitors meet no staff page (they would be asked to sign in).
    assert not [url for url in seen if url.startswith(("/review", "/workspace"))]


@pytest.mark.parametrize("role", ROLES)
def test_signed_in_crawl_meets_no_server_error(signed_in, role):
    seen = crawl(signed_in(role), limit=150 if role != "manager" else LIMIT)
    errors = {url: status for url, status in seen.items() if status >= 500}
    assert not errors
    assert all(status in (200, 302, 403, 404) for status in seen.values()), seen


@pytest.mark.parametrize("url", [
    "/search?q=%00", "/search?page=-1", "/search?page=abc", "/search?page=99999999", "/search?sort=nope",
    "/search?department=nope&theme=%E2%80%A6", "/search?classification=x9", "/search?q=" + "长" * 5000,
    "/search?status=draft", "/search/suggest?q=%E4%BD%8E", "/search/suggest", "/resources/0", "/resources/-1",
    "/classification/3", "/?lang=fr",
])
def test_bad_input_is_never_a_server_error(client, url):
    assert client.get(url).status_code < 500


def test_search_keeps_its_state_in_the_url(client, container):
    html = client.get("/search?classification=3").get_data(as_text=True)
    assert "已选" in html or 'aria-current="true"' in html
    assert 'href="/search"' in html or "清除全部筛选条件" in html
    empty = client.get("/search?q=%E4%B8%8D%E5%AD%98%E5%9C%A8%E7%9A%84%E4%B8%9C%E8%A5%BF&theme=A").get_data(as_text=True)
    assert "没有符合条件的资源" in empty and "清除筛选条件" in empty
    response = client.get("/search/suggest?q=%E5%B0%B1")
    assert response.status_code == 200 and isinstance(response.get_json(), list)


def test_anonymous_search_finds_only_published_resources_open_to_the_public(client, container):
    from tests.web.conftest import linked_ids, resources

    public = {r.id for r in resources(container, status="published") if r.open_is_open}
    html = client.get("/search?status=draft&sort=title").get_data(as_text=True)
    assert linked_ids(html) == public
    assert "状态</h2>" not in html  # the status facet is for staff
