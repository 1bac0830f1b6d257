"""The harvester contract: a Harvester declares itself, gathers RemoteRecords lazily and maps each one.

A harvester never touches the database: :mod:`harvesters.runner` owns jobs, savepoints, hashes,
dedupe, withdrawal and error reports. ``map`` is a pure function from one remote record to the
resource input :class:`catalog.schemas.resource.ResourceSchema` loads.
"""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, validates

from catalog.i18n import Message, Text, message

_ENV_REFERENCE = re.compile(r"^env:([A-Za-z_][A-Za-z0-9_]*)$")
#: Hard ceiling of a source's size limit, whatever its configuration says.
MAX_BYTES_CEILING = 2 * 1024**3


@dataclass(frozen=True)
class RemoteRecord:
    """One record as the remote catalog has it.

    :ivar remote_id: the id that is stable across runs (a CKAN package id, a DCAT dataset URI …).
    :ivar payload: JSON-friendly data ``map`` reads; ``None`` means "listed, not changed since the
        last run" (an incremental listing), which only keeps the record from counting as gone.
    :ivar url: where a person can read the record at the source (shown with every error).
    :ivar modified: when the remote says the record last changed, if it says.
    """

    remote_id: str
    payload: Any = None
    url: str | None = None
    modified: datetime | None = None


class SkipRecord(Exception):  # noqa: N818 (a signal, not an error: the contract names it so)
    """Raised by ``map`` (or ``fetch``) to leave a record out on purpose; the reason is reported."""

    def __init__(self, reason: Message | str):
        self.reason = reason if isinstance(reason, Message) else Message(reason)
        super().__init__(self.reason.render("en"))


class HarvestError(Exception):
    """A problem with the remote (unreachable, too big, malformed …) with the URL and a fix-it hint."""

    def __init__(self, msg: Message, *, url: str | None = None, hint: Message | None = None):
        self.message = msg
        self.url = url
        self.hint = hint
        super().__init__(msg.render("en"))

    def __reduce__(self):
        # Pickled whole (a page parsed in a worker process raises it there): the default would keep only the text.
        return _harvest_error, (self.message, self.url, self.hint)


def _harvest_error(msg: Message, url: str | None, hint: Message | None) -> HarvestError:
    return HarvestError(msg, url=url, hint=hint)


def env_reference(value: str) -> str | None:
    """The variable name of an ``env:NAME`` reference, or ``None`` when ``value`` is not one."""
    match = _ENV_REFERENCE.match(value or "")
    return match.group(1) if match else None


class SecretField(fields.String):
    """A credential: only an ``env:NAME`` reference is accepted, so no secret is ever stored."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if env_reference(text) is None:
            raise ValidationError("give a reference to an environment variable such as env:CKAN_TOKEN; "
                                  "secrets are never stored in the catalog")
        return text


class BaseConfigSchema(Schema):
    """Settings every harvester understands: an Authorization header from the environment, limits."""

    auth_header = SecretField(load_default=None)
    max_bytes = fields.Integer(load_default=None)
    read_timeout = fields.Float(load_default=None)

    @validates("max_bytes")
    def _max_bytes(self, value, **kwargs):
        if value is not None and not 1024 <= value <= MAX_BYTES_CEILING:
            raise ValidationError(f"between 1024 and {MAX_BYTES_CEILING} bytes")

    @validates("read_timeout")
    def _read_timeout(self, value, **kwargs):
        if value is not None and not 1 <= value <= 600:
            raise ValidationError("between 1 and 600 seconds")


@dataclass
class HarvestContext:
    """What a harvester may use: its URL and validated config, the HTTP client, vocabularies, profile.

    ``since`` is set for an incremental run. ``secrets`` resolves ``env:NAME`` references (the process
    environment unless a test passes a mapping). A harvester that lists only part of the remote
    (an incremental listing without ids, a cut-off paging loop) sets ``listing_complete`` to
    ``False`` so that the runner does not take unlisted records for deleted ones.
    """

    url: str
    config: Mapping[str, Any]
    http: Any
    vocab: Any
    profile: Any
    since: datetime | None = None
    secrets: Mapping[str, str] = field(default_factory=lambda: os.environ)
    listing_complete: bool = True
    expected_total: int | None = None
    warnings: list[HarvestError] = field(default_factory=list)
    on_total: Callable[[int], None] | None = None
    #: The runner's :class:`harvesters.pages.PageMemo` (``None`` in a dry run): see :meth:`recall_page`.
    pages: Any = None

    def secret(self, reference: str | None) -> str | None:
        """The value behind an ``env:NAME`` reference.

        :raises HarvestError: when the variable is not set (the hint names it, never a value).
        """
        if not reference:
            return None
        name = env_reference(reference)
        value = self.secrets.get(name or "")
        if not value:
            raise HarvestError(message("The credential {reference} is not available.", reference=reference),
                               hint=message("Set the environment variable {name} for the harvest process.",
                                            name=name or reference))
        return value

    def auth_headers(self) -> dict[str, str]:
        """Headers carrying the source's credential, if it has one."""
        value = self.secret(self.config.get("auth_header"))
        return {"Authorization": value} if value else {}

    def recall_page(self, url: str, content: bytes) -> dict | None:
        """The memo left for a page with these very bytes whose records all went well last time, else ``None``.

        A harvester that gets a memo yields ``RemoteRecord(id)`` (no payload: "listed, unchanged")
        for each of its ``ids`` instead of parsing the page.
        """
        return self.pages.recall(url, content) if self.pages is not None else None

    def remember_page(self, url: str, content: bytes, memo: dict) -> None:
        """Leave a memo for a page just parsed — ``ids``: the remote ids it lists, plus what going on needs.

        Call it *before* yielding the page's records.
        """
        if self.pages is not None:
            self.pages.remember(url, content, memo)

    def announce_total(self, total: int) -> None:
        """Tell the runner (and a progress bar) how many records the remote says it has."""
        self.expected_total = total
        if self.on_total:
            self.on_total(total)


class Harvester(ABC):
    """Base of every harvester: declare ``name``, ``title`` and ``config_schema``; implement two methods."""

    name: ClassVar[str]
    title: ClassVar[Text]
    config_schema: ClassVar[type[Schema]] = BaseConfigSchema

    def __init__(self, context: HarvestContext):
        self.context = context
        self.config = context.config
        self.http = context.http
        self.vocab = context.vocab
        self.profile = context.profile

    @classmethod
    def load_config(cls, data: Mapping[str, Any] | None) -> dict[str, Any]:
        """Validate a source's config with ``config_schema``.

        :raises marshmallow.ValidationError: naming each bad key.
        """
        return cls.config_schema().load(dict(data or {}))

    @abstractmethod
    def gather(self) -> Iterator[RemoteRecord]:
        """Page through the remote lazily, yielding one :class:`RemoteRecord` per record.

        :raises HarvestError: when a page cannot be fetched or read (the job reports it).
        """

    def fetch(self, record: RemoteRecord) -> RemoteRecord:
        """Complete a gathered record when the listing does not carry everything (default: as is).

        :raises HarvestError: for this record only.
        """
        return record

    @abstractmethod
    def map(self, record: RemoteRecord) -> dict[str, Any]:
        """Turn a record into resource input, normalising values through the vocabularies.

        :raises SkipRecord: to leave the record out on purpose.
        """
