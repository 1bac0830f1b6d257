"""Layer rules (vocab ← catalog ← harvesters ← web ← cli.py) and module docstrings, checked by parsing the source.

Every ``import`` and ``from … import`` is found with :mod:`ast` (also inside functions and
``TYPE_CHECKING`` blocks), relative imports are resolved, and ``importlib.import_module("…")`` /
``__import__("…")`` calls with a literal name count too.  See docs/development.md, "Layers".
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERED = ("vocab", "catalog", "harvesters", "web")
CHECKED = (*LAYERED, "migrations")
STDLIB = frozenset(sys.stdlib_module_names)
WEB_ONLY = "flask, flask_*, werkzeug, wtforms"


@dataclass(frozen=True)
class Import:
    module: str  # absolute dotted name of what is imported from
    names: tuple[str, ...]  # for ``from module import a, b``; empty for ``import module``
    line: int

    @property
    def top(self) -> str:
        return self.module.split(".")[0]


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, is_package: bool) -> Iterator[Import]:
    """Every import in ``source``, with relative imports made absolute."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, (), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield Import(target, tuple(alias.name for alias in node.names), node.lineno)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield Import(node.args[0].value, (), node.lineno)


def _web_only(top: str) -> bool:
    return top in ("flask", "werkzeug", "wtforms") or top.startswith("flask_")


def violation(layer: str, imp: Import) -> str | None:
    """Why importing ``imp`` from a module of ``layer`` breaks the rules, or ``None``."""
    top = imp.top
    if top == "cli":
        return "nothing imports cli.py (it is the composition root)"
    if layer == "vocab" and top not in STDLIB and top not in ("rdflib", "vocab"):
        return "vocab is a leaf: standard library and rdflib only"
    if layer == "catalog" and (top in ("harvesters", "web") or _web_only(top)):
        return f"catalog must not import harvesters, web or {WEB_ONLY}"
    if layer == "harvesters" and (top == "web" or _web_only(top)):
        return f"harvesters must not import web or {WEB_ONLY}"
    if layer == "migrations":
        if top in STDLIB or top in ("alembic", "sqlalchemy", "migrations"):
            return None
        allowed = ("catalog.db", "catalog.models", "harvesters.models")
        if imp.module in allowed or imp.module.startswith("catalog.models."):
            return None
        if imp.module == "catalog" and imp.names and all(f"catalog.{n}" in allowed for n in imp.names):
            return None
        return "migrations import only catalog.db and the models (besides alembic and sqlalchemy)"
    return None


def python_files(packages=CHECKED, root: Path = ROOT) -> list[Path]:
    files = [path for package in packages for path in sorted((root / package).rglob("*.py"))]
    if (root / "cli.py").is_file():
        files.append(root / "cli.py")
    return files


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_the_packages_are_there():
    found = {module_name(path).split(".")[0] for path in python_files()}
    assert {"vocab", "catalog", "migrations"} <= found


def test_layer_rules():
    problems = []
    for path in python_files():
        name = module_name(path)
        layer = name.split(".")[0]
        for imp in imports_of(_read(path), name, path.name == "__init__.py"):
            reason = violation(layer, imp)
            if reason:
                problems.append(f"{path.relative_to(ROOT)}:{imp.line}: imports {imp.module}: {reason}")
    assert not problems, "layer rule broken:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_opens_with_a_one_line_summary(path):
    tree = ast.parse(_read(path))
    doc = ast.get_docstring(tree)
    assert doc, f"{path.relative_to(ROOT)} must open with a docstring saying what the module owns"
    lines = doc.splitlines()
    assert lines[0].strip(), "the docstring's first line is the one-line summary"
    assert len(lines) == 1 or not lines[1].strip(), "the summary is one line, followed by a blank line"


# --- the checker itself: a rule test that silently checks nothing would be worse than none ---


@pytest.mark.parametrize(
    ("module", "source", "broken"),
    [
        ("vocab.x", "import yaml", True),
        ("vocab.x", "import rdflib\nfrom rdflib.namespace import SKOS\nimport json", False),
        ("vocab.x", "from . import model\nfrom .skos import parse", False),
        ("vocab.x", "import sqlalchemy", True),
        ("catalog.services.x", "from ...web import deps", True),
        ("catalog.services.x", "from ..models import Resource", False),
        ("catalog.x", "def f():\n    from flask import current_app", True),
        ("catalog.x", "import flask_babel", True),
        ("catalog.x", "from werkzeug.security import check_password_hash", True),
        ("catalog.x", "import importlib\nimportlib.import_module('harvesters.runner')", True),
        (
            "catalog.x",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from harvesters import x",
            True,
        ),
        ("catalog.x", "import sqlalchemy, marshmallow, vocab", False),
        ("harvesters.x", "from catalog.services import resource", False),
        ("harvesters.x", "from flask import g", True),
        ("harvesters.x", "import web", True),
        ("web.x", "import flask\nfrom harvesters import runner\nimport catalog", False),
        ("web.x", "from cli import main", True),
        (
            "migrations.env",
            "from catalog.db import Base\nimport catalog.models\nfrom alembic import op",
            False,
        ),
        ("migrations.env", "from catalog import db, models", False),
        ("migrations.env", "from catalog.services import resource", True),
        ("migrations.env", "from catalog import config", True),
        ("migrations.env", "import harvesters.models", False),
        ("migrations.env", "from harvesters import runner", True),
    ],
)
def test_checker(module, source, broken):
    layer = module.split(".")[0]
    found = [violation(layer, imp) for imp in imports_of(source, module, is_package=False)]
    assert any(found) == broken, found
