"""The one HTTP client of the harvesters: timeouts, a size limit, a redirect limit and a host policy.

Every fetch of every harvester goes through :class:`HttpClient`, so the limits hold everywhere:

- only ``http`` and ``https`` (no ``file:``, ``ftp:`` or ``gopher:`` smuggled in by a redirect);
- the host name is resolved once and every address checked: loopback, private, link-local
  (cloud metadata at 169.254.169.254), multicast and reserved addresses are refused unless the
  host is on the allow list (an intranet CKAN at 10.1.2.3 must be allowed by name or address);
  the connection then goes to the checked address, so a second DNS answer cannot swap it;
- connect and read timeouts plus a deadline for the whole response (a server that drips one
  byte a minute never trips a read timeout);
- a size limit checked against Content-Length and again while reading (after decompression, so
  a gzip bomb stops at the limit too);
- redirects followed by hand, each hop checked like the first, at most ``max_redirects``, and a
  loop reported as a loop.
"""

from __future__ import annotations

import codecs
import fnmatch
import ipaddress
import json
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError

from catalog.i18n import message
from harvesters.base import HarvestError

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
USER_AGENT = "Mulu-harvester/0.1 (+government information resource catalog)"
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class HttpPolicy:
    """Limits and the host policy of a client; tests allow loopback, production does not."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    total_timeout: float = 300.0
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = 5
    allow_hosts: tuple[str, ...] = ()
    deny_hosts: tuple[str, ...] = ()
    allow_private: bool = False

    @classmethod
    def from_settings(cls, settings, **overrides) -> HttpPolicy:
        """The policy of a deployment (settings ``harvest_allow_hosts`` / ``harvest_deny_hosts`` when present)."""
        values = {
            "allow_hosts": tuple(settings.harvest_allow_hosts),
            "deny_hosts": tuple(settings.harvest_deny_hosts),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


@dataclass
class Response:
    """A fetched body with the final URL (after redirects), status and headers."""

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes = b""
    charset: str | None = None

    @property
    def content_type(self) -> str:
        return (self.headers.get("content-type") or "").split(";")[0].strip().lower()

    def text(self) -> str:
        """The body as text: the declared charset, else UTF-8 (with or without a byte-order mark).

        :raises HarvestError: for an unknown charset or bytes that are not valid in it.
        """
        charset = self.charset or "utf-8-sig"
        try:
            codecs.lookup(charset)
        except LookupError:
            raise HarvestError(message("{url} uses an unknown character encoding ({detail}).", url=self.url,
                                       detail=charset), url=self.url,
                               hint=message("Ask the remote site to serve UTF-8.")) from None
        try:
            return self.content.decode("utf-8-sig" if charset.lower().replace("_", "-") in ("utf-8", "utf8") else charset)
        except UnicodeDecodeError as exc:
            raise HarvestError(message("{url} is not valid {encoding} text ({detail}).", url=self.url, encoding=charset,
                                       detail=str(exc)[:200]), url=self.url) from None

    def json(self) -> Any:
        """The body parsed as JSON.

        :raises HarvestError: naming the URL and the position of the first error.
        """
        try:
            return json.loads(self.text())
        except json.JSONDecodeError as exc:
            raise HarvestError(message("{url} is not valid JSON ({detail}).", url=self.url,
                                       detail=f"{exc.msg}, line {exc.lineno} column {exc.colno}"), url=self.url,
                               hint=message("The remote answered something else than JSON: check the source URL and type.")) from None


def _matches(host: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatch(host, pattern.lower()) for pattern in patterns)


def _charset(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"') or None
    return None


@dataclass
class HttpClient:
    """Fetch URLs under an :class:`HttpPolicy`; inject one into harvesters (tests pass their own)."""

    policy: HttpPolicy = field(default_factory=HttpPolicy)
    headers: Mapping[str, str] = field(default_factory=dict)
    resolver: Callable = socket.getaddrinfo
    _pools: dict = field(default_factory=dict, repr=False)

    def get(self, url: str, *, params: Mapping[str, object] | None = None, headers: Mapping[str, str] | None = None,
            max_bytes: int | None = None, read_timeout: float | None = None) -> Response:
        """GET a URL, following redirects under the policy (see :meth:`request`)."""
        return self.request("GET", url, params=params, headers=headers, max_bytes=max_bytes, read_timeout=read_timeout)

    def post(self, url: str, body: bytes, *, headers: Mapping[str, str] | None = None, max_bytes: int | None = None,
             read_timeout: float | None = None) -> Response:
        """POST ``body`` to a URL (a CSW GetRecords document …), following redirects under the policy.

        A 307/308 redirect repeats the POST at the new address; 301/302/303 continue with a GET.
        """
        return self.request("POST", url, body=body, headers=headers, max_bytes=max_bytes, read_timeout=read_timeout)

    def request(self, method: str, url: str, *, params: Mapping[str, object] | None = None, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, max_bytes: int | None = None,
                read_timeout: float | None = None) -> Response:
        """Fetch a URL, following redirects under the policy.

        :param params: query parameters appended to the URL.
        :param max_bytes: a lower (or, up to the source's setting, higher) size limit for this fetch.
        :raises HarvestError: for a refused URL or host, a timeout, a too big response, too many
            redirects, a redirect loop, or an HTTP error status; the message names the URL.
        """
        if params:
            url = url + ("&" if "?" in url else "?") + urlencode({k: v for k, v in params.items() if v is not None})
        limit = max_bytes or self.policy.max_bytes
        deadline = time.monotonic() + self.policy.total_timeout
        seen: list[str] = []
        current = url
        while True:
            if current in seen:
                raise HarvestError(message("The redirects loop: {url} leads back to itself.", url=url), url=url,
                                   hint=message("Correct the source URL, or ask the remote site to fix its redirects."))
            if len(seen) > self.policy.max_redirects:
                raise HarvestError(message("More than {count} redirects from {url}.", count=self.policy.max_redirects,
                                           url=url), url=url)
            seen.append(current)
            response = self._request(current, {**self.headers, **(headers or {})}, limit, deadline,
                                     read_timeout or self.policy.read_timeout, method=method, body=body)
            if response.status in (301, 302, 303, 307, 308) and response.headers.get("location"):
                current = urljoin(current, response.headers["location"])
                if response.status not in (307, 308):
                    method, body = "GET", None
                continue
            if response.status >= 400:
                raise HarvestError(message("{url} answered HTTP {status}.", url=current, status=response.status),
                                   url=current, hint=_status_hint(response.status))
            return response

    def close(self) -> None:
        """Close the pooled connections."""
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()

    # -- internals ---------------------------------------------------------------------------

    def _request(self, url: str, headers: Mapping[str, str], limit: int, deadline: float, read_timeout: float, *,
                 method: str = "GET", body: bytes | None = None) -> Response:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise HarvestError(message("Only http and https addresses are fetched, not {url}.", url=url), url=url)
        host = (parts.hostname or "").lower()
        if not host:
            raise HarvestError(message("{url} has no host name.", url=url), url=url)
        port = parts.port or (443 if scheme == "https" else 80)
        address = self._checked_address(host, port, url)
        pool = self._pool(scheme, address, port, host, read_timeout)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host_header = host if parts.port in (None, 80 if scheme == "http" else 443) else f"{host}:{port}"
        request_headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate", **headers, "Host": host_header}
        try:
            raw = pool.urlopen(method, path, body=body, headers=request_headers, redirect=False, retries=False,
                               preload_content=False, decode_content=True, assert_same_host=False)
        except ReadTimeoutError:
            raise _timeout(url) from None
        except Urllib3Error as exc:
            raise HarvestError(message("{url} cannot be reached ({detail}).", url=url, detail=_reason(exc)), url=url,
                               hint=message("Check the source URL and that the remote site is up.")) from None
        try:
            return self._read(url, raw, limit, deadline)
        finally:
            raw.release_conn()

    def _read(self, url: str, raw, limit: int, deadline: float) -> Response:
        headers = {k.lower(): v for k, v in raw.headers.items()}
        response = Response(url=url, status=raw.status, headers=headers, charset=_charset(headers.get("content-type")))
        if raw.status >= 300:
            raw.drain_conn()
            return response
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_big(url, limit)
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                chunk = raw.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise _too_big(url, limit)
                if time.monotonic() > deadline:
                    raise _timeout(url)
                chunks.append(chunk)
        except ReadTimeoutError:
            raise _timeout(url) from None
        except Urllib3Error as exc:
            raise HarvestError(message("Reading {url} failed ({detail}).", url=url, detail=_reason(exc)), url=url) from None
        response.content = b"".join(chunks)
        return response

    def _checked_address(self, host: str, port: int, url: str) -> str:
        if _matches(host, self.policy.deny_hosts):
            raise HarvestError(message("The host {host} is on the deny list.", host=host), url=url)
        allowed = _matches(host, self.policy.allow_hosts)
        try:
            infos = self.resolver(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise HarvestError(message("The host name {host} cannot be resolved.", host=host), url=url,
                               hint=message("Check the source URL.")) from None
        addresses = [info[4][0] for info in infos]
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if _matches(address, self.policy.deny_hosts):
                raise HarvestError(message("The host {host} is on the deny list.", host=host), url=url)
            if not (allowed or self.policy.allow_private or _matches(address, self.policy.allow_hosts)) and not ip.is_global:
                raise HarvestError(
                    message("{host} resolves to the non-public address {address}, which is not fetched.",
                            host=host, address=address), url=url,
                    hint=message("An administrator can allow an intranet host by name in the harvest allow list."))
        if not addresses:
            raise HarvestError(message("The host name {host} cannot be resolved.", host=host), url=url)
        return addresses[0]

    def _pool(self, scheme: str, address: str, port: int, host: str, read_timeout: float):
        key = (scheme, address, port, host, read_timeout)
        pool = self._pools.get(key)
        if pool is None:
            timeout = urllib3.Timeout(connect=self.policy.connect_timeout, read=read_timeout)
            if scheme == "https":
                # Connect to the checked address, but verify the certificate for the host name.
                pool = urllib3.HTTPSConnectionPool(address, port, timeout=timeout, maxsize=2, retries=False,
                                                   server_hostname=host, assert_hostname=host, cert_reqs="CERT_REQUIRED")
            else:
                pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, maxsize=2, retries=False)
            self._pools[key] = pool
        return pool


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    return str(reason)[:300]


def _timeout(url: str) -> HarvestError:
    return HarvestError(message("{url} did not answer in time.", url=url), url=url,
                        hint=message("The remote site is slow or down; the next run tries again."))


def _too_big(url: str, limit: int) -> HarvestError:
    return HarvestError(message("The response of {url} is larger than {size} MB.", url=url, size=round(limit / 1024**2, 1)),
                        url=url, hint=message("Use paging (smaller pages) at the source, or raise max_bytes in the source's config."))


def _status_hint(status: int):
    if status in (401, 403):
        return message("The remote refuses access: check the source's credential (auth_header).")
    if status == 404:
        return message("Check the source URL: the remote has nothing there.")
    if status == 429 or status >= 500:
        return message("The remote site has a problem; the next run tries again.")
    return None
