"""pyproject.toml declares the packages as they are imported: `pip install hintcolor` gives the library
everything it imports (and nothing it does not), and `pip install -e .[test]` (install.py) everything
the tests and the install example import."""
from __future__ import annotations

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the declarations are the same on older Pythons

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def normalized(name: str) -> str:
    """A distribution's name as pip compares them (PEP 503): ``Scikit_Image`` → ``scikit-image``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(requirements: list[str]) -> set[str]:
    """Distribution names of requirement strings, the project's own extras expanded
    (``hintcolor[example]`` → the names in the ``example`` extra)."""
    names = set()
    for requirement in requirements:
        name, extras = re.match(r"([A-Za-z0-9._-]+)(?:\[([^]]*)\])?", requirement).groups()
        if normalized(name) == PROJECT["name"]:
            for extra in (extras or "").split(","):
                names |= requirement_names(PROJECT["optional-dependencies"][extra.strip()])
        else:
            names.add(normalized(name))
    return names


def imported_modules(paths: list[Path]) -> set[str]:
    """Top-level names of the absolute imports in the Python files under ``paths``, the standard
    library's and hintcolor's own left out (also under the names install.py gives its copies beside the
    plug-ins, e.g. ``hintcolor_protocol``)."""
    names = set()
    for path in paths:
        for source in ([path] if path.is_file() else sorted(path.rglob("*.py"))):
            for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"), str(source))):
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return {name for name in names - set(sys.stdlib_module_names) if not name.startswith("hintcolor")}


def distributions(modules: set[str]) -> dict[str, set[str]]:
    """{importable module: the installed distributions that provide it}; modules no installed
    distribution provides (the tests' helper modules, GIMP's ``gi`` and ``gimpfu``) are left out."""
    provided = metadata.packages_distributions()
    return {module: {normalized(d) for d in provided[module]} for module in modules if module in provided}


def test_every_package_the_library_imports_is_a_dependency():
    imported = imported_modules([ROOT / "hintcolor"])
    found = distributions(imported)
    assert imported == set(found), f"hintcolor/ imports {sorted(imported - set(found))}, which no package provides"
    declared = requirement_names(PROJECT["dependencies"])
    missing = {module: names for module, names in found.items() if not names & declared}
    assert not missing, f"hintcolor/ imports these, not declared in pyproject.toml's dependencies: {missing}"


def test_every_dependency_is_imported_by_the_library():
    imported = set().union(*distributions(imported_modules([ROOT / "hintcolor"])).values())
    unused = requirement_names(PROJECT["dependencies"]) - imported
    assert not unused, f"pyproject.toml's dependencies list {sorted(unused)}, never imported by hintcolor/: use an extra"


def test_what_the_tests_benchmarks_and_picture_scripts_import_is_in_the_test_extra():
    declared = requirement_names(PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"])
    found = distributions(imported_modules([ROOT / "tests", ROOT / "benchmarks", ROOT / "docs", ROOT / "install.py"]))
    missing = {module: names for module, names in found.items() if not names & declared}
    assert not missing, f"tests, benchmarks or docs/ scripts import these, not in the test extra: {missing}"
