"""Alembic migrations of the Mulu schema; ``catalog.schema_setup`` runs them, ``env.py`` wires them up.

The package is importable so the migrations ship inside the wheel and are found with
``importlib.resources.files("migrations")``.  It also holds the one rule autogenerate and
``tests/test_migrations.py`` share: which database objects are not described by the models.
"""

from __future__ import annotations

import re

# Tables that migrations create with raw SQL and that no model declares, so autogenerate must
# neither drop them nor report them as drift: SQLite FTS5 indexes named ``*_fts`` and their
# shadow tables (``<name>_fts_data``, ``_idx``, ``_content``, ``_docsize``, ``_config``).
UNMANAGED_TABLE = re.compile(r"^(sqlite_.*|.+_fts(_(data|idx|content|docsize|config))?)$")


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic ``include_name`` hook: skip reflected tables that the models do not own.

    :param name: the reflected object's name.
    :param type_: ``"table"``, ``"column"``, ``"index"``, … as Alembic passes it.
    :param parent_names: the enclosing schema/table names (unused).
    :returns: whether autogenerate compares the object.
    """
    if type_ == "table" and name is not None:
        return not UNMANAGED_TABLE.match(name)
    return True
