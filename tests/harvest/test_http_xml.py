"""The harvest HTTP client and XML parser refuse what they must: hosts, schemes, loops, sizes, slowness, bombs."""

from __future__ import annotations

import pytest

from harvesters.base import HarvestError
from harvesters.http import HttpClient, HttpPolicy
from harvesters.xml import parse_xml


def _fails(call, text: str) -> HarvestError:
    with pytest.raises(HarvestError) as info:
        call()
    assert text in str(info.value), str(info.value)
    return info.value


def test_loopback_is_refused_by_default(site):
    url = site.add("/x", {"ok": True})
    client = HttpClient()
    _fails(lambda: client.get(url), "non-public address 127.0.0.1")
    allowed = HttpClient(HttpPolicy(allow_hosts=("127.0.0.1",)))
    assert allowed.get(url).json() == {"ok": True}


def test_private_addresses_from_dns_are_refused(site):
    client = HttpClient(resolver=lambda host, port, **kw: [(2, 1, 6, "", ("169.254.169.254", port))])
    _fails(lambda: client.get("http://metadata.example/latest"), "169.254.169.254")


def test_only_http_and_https(http):
    for url in ("file:///etc/passwd", "ftp://example.org/x", "gopher://example.org/"):
        _fails(lambda url=url: http.get(url), "Only http and https")


def test_deny_list(site):
    client = HttpClient(HttpPolicy(allow_private=True, deny_hosts=("127.0.0.*",)))
    _fails(lambda: client.get(site.url("/x")), "deny list")


def test_redirect_loop_and_limit(site, http):
    site.add("/a", b"", status=302, headers={"Location": "/b"})
    site.add("/b", b"", status=302, headers={"Location": "/a"})
    error = _fails(lambda: http.get(site.url("/a")), "redirects loop")
    assert error.hint is not None
    for n in range(8):
        site.add(f"/r{n}", b"", status=301, headers={"Location": f"/r{n + 1}"})
    _fails(lambda: http.get(site.url("/r0")), "More than 5 redirects")


def test_a_redirect_to_a_file_url_is_refused(site, http):
    site.add("/evil", b"", status=302, headers={"Location": "file:///etc/passwd"})
    _fails(lambda: http.get(site.url("/evil")), "Only http and https")


def test_size_limit_by_header_and_while_reading(site, http):
    url = site.add("/big", b"x" * 5000)
    _fails(lambda: http.get(url, max_bytes=1024), "larger than")
    chunked = site.add("/big-no-length", b"x" * 200_000, headers={"X-Test-No-Length": "1"})
    _fails(lambda: http.get(chunked, max_bytes=100_000), "larger than")


def test_a_page_that_times_out(site):
    client = HttpClient(HttpPolicy(allow_private=True, read_timeout=0.3))
    url = site.add("/slow", b"{}", headers={"X-Test-Delay": "2"})
    _fails(lambda: client.get(url), "did not answer in time")


def test_http_errors_carry_a_hint(site, http):
    site.add("/secret", b"no", status=403, content_type="text/plain")
    error = _fails(lambda: http.get(site.url("/secret")), "answered HTTP 403")
    assert "credential" in error.hint.render("en")


def test_unknown_charset_and_bad_json(site, http):
    site.add("/klingon", b'{"a": 1}', content_type="application/json; charset=x-klingon")
    _fails(lambda: http.get(site.url("/klingon")).json(), "unknown character encoding")
    site.add("/gbk", '{"标题": "人口"}'.encode("gbk"), content_type="application/json; charset=GBK")
    assert http.get(site.url("/gbk")).json() == {"标题": "人口"}


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>"""
XXE = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'


@pytest.mark.parametrize(("data", "text"), [
    (BOMB, "declares XML entities"),
    (XXE, "declares XML entities"),
    (b'<?xml version="1.0" encoding="x-klingon"?><r/>', "unknown character encoding"),
    (b"<r><a></r>", "not well-formed"),
])
def test_unsafe_or_broken_xml_is_refused(data, text):
    _fails(lambda: parse_xml(data, url="http://x.example/doc"), text)


def test_gb2312_xml_is_read():
    assert parse_xml('<?xml version="1.0" encoding="GB2312"?><r>人口</r>'.encode("gb2312")).text == "人口"


def test_an_xml_bomb_in_rdf_xml_fails_the_dcat_job(site, sources, harvest):
    url = site.add("/catalog.rdf", BOMB, content_type="application/rdf+xml")
    result = harvest(sources("bomb", "dcat", url))
    assert result.job.status == "failed"
    assert "XML bomb" in result.job.errors[0]["message"]["en"]
