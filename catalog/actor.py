"""Who is acting: the user, role and department behind every service call, and the client they use."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    """The identity a service checks permissions against and writes into history and the audit log.

    ``department_ids`` is the actor's own department with all its internal units: an officer of
    淮南市民政局 may edit resources of its 社会救助科 too.
    """

    user_id: int | None
    name: str
    role: str | None
    department_id: int | None = None
    department_ids: frozenset[int] = field(default_factory=frozenset)
    client: str = ""

    @property
    def is_anonymous(self) -> bool:
        return self.role is None

    def owns(self, department_id: int | None) -> bool:
        """Tell whether a department is the actor's own (or one of its internal units)."""
        return department_id is not None and department_id in self.department_ids

    @classmethod
    def anonymous(cls, client: str = "") -> Actor:
        return cls(user_id=None, name="anonymous", role=None, client=client)

    @classmethod
    def system(cls, client: str = "cli") -> Actor:
        """The actor of maintenance commands run on the server itself (``mulu init``, imports)."""
        return cls(user_id=None, name="system", role="admin", client=client)

    def with_client(self, client: str) -> Actor:
        return Actor(self.user_id, self.name, self.role, self.department_id, self.department_ids, client)
