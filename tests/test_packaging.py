"""The package says what it is: its Python, its dependencies, its version, its files.

The first tests read pyproject.toml and the source (no build); the last one
builds the sdist and the wheel, as `make dist` does, and looks inside.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest

import swiftsvc

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "swiftsvc"
# subpackages whose third-party imports come from an extra, not from the core
# dependencies: {subpackage: extra}
OPTIONAL_PARTS = {"testing": "testing", "fsspec": "fsspec", "dask": "dask"}
# run by the servers' own virtualenv, never imported by swiftsvc
NOT_IMPORTED = {PACKAGE / "testing" / "_swift_runner.py"}


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _distribution(requirement: str) -> str:
    """``requests>=2.32.2,<3`` -> ``requests`` (normalized as PEP 503 does)."""
    name = re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _third_party_imports(path: Path) -> set[str]:
    """Top-level names of the non-stdlib modules ``path`` imports at run time."""
    tree = ast.parse(path.read_text())
    type_only: set[int] = set()
    for node in ast.walk(tree):
        # `if TYPE_CHECKING:` imports never run
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return {
        name for name in names
        if name not in sys.stdlib_module_names and name not in ("swiftsvc", "__future__")
    }


def _imports_by_part() -> dict[str | None, dict[str, set[str]]]:
    """{optional subpackage or None for the core: {imported distribution: files}}."""
    distributions = importlib.metadata.packages_distributions()
    found: dict[str | None, dict[str, set[str]]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path in NOT_IMPORTED:
            continue
        relative = path.relative_to(PACKAGE).parts
        part = relative[0] if len(relative) > 1 and relative[0] in OPTIONAL_PARTS else None
        for module in _third_party_imports(path):
            for distribution in distributions.get(module, [module]):
                found.setdefault(part, {}).setdefault(_distribution(distribution), set()).add(
                    str(path.relative_to(ROOT)))
    return found


def test_requires_python_ruff_and_mypy_name_the_same_python() -> None:
    project = _pyproject()
    match = re.fullmatch(r">=\s*3\.(\d+)", project["project"]["requires-python"])
    assert match, "requires-python should be a plain lower bound, >=3.N"
    minor = match.group(1)
    assert project["tool"]["ruff"]["target-version"] == f"py3{minor}"
    assert project["tool"]["mypy"]["python_version"] == f"3.{minor}"
    assert f"Programming Language :: Python :: 3.{minor}" in project["project"]["classifiers"]


def test_every_library_import_is_a_declared_dependency_and_every_dependency_is_used() -> None:
    project = _pyproject()["project"]
    core = {_distribution(r) for r in project["dependencies"]}
    imports = _imports_by_part()
    undeclared = {
        name: sorted(files) for name, files in imports.get(None, {}).items() if name not in core
    }
    assert undeclared == {}, "imported by swiftsvc but not in [project] dependencies"
    unused = core - set(imports.get(None, {}))
    assert unused == set(), "declared dependencies swiftsvc never imports"
    for part, extra in OPTIONAL_PARTS.items():
        provided = core | {_distribution(r) for r in project["optional-dependencies"][extra]}
        missing = {
            name: sorted(files) for name, files in imports.get(part, {}).items()
            if name not in provided
        }
        assert missing == {}, f"imported by swiftsvc/{part} but not in the {extra!r} extra"


def test_the_version_is_written_once_and_installed_as_written() -> None:
    project = _pyproject()
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "swiftsvc.__version__"}
    assert importlib.metadata.version("swiftsvc") == swiftsvc.__version__


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_sdist_carries_the_whole_test_suite_and_the_wheel_refuses_old_pythons(
    tmp_path: Path,
) -> None:
    pytest.importorskip("build", reason="python -m build comes with the dev extra")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=540, check=False,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    [sdist] = tmp_path.glob("*.tar.gz")
    [wheel] = tmp_path.glob("*.whl")
    with tarfile.open(sdist) as archive:
        top = f"swiftsvc-{swiftsvc.__version__}/"
        carried = {name.removeprefix(top) for name in archive.getnames()}
    for folder in ("tests", "examples"):
        on_disk = {
            str(path.relative_to(ROOT)) for path in (ROOT / folder).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
        }
        assert on_disk - carried == set(), f"{folder}/ files missing from the sdist"
    assert {"LICENSE", "pyproject.toml", "tests/conftest.py"} <= carried
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(f"swiftsvc-{swiftsvc.__version__}.dist-info/METADATA").decode()
    assert not [name for name in names if name.startswith(("tests/", "examples/"))]
    assert f"swiftsvc-{swiftsvc.__version__}.dist-info/licenses/LICENSE" in names
    assert "Requires-Python: >=3.11" in metadata.splitlines()
    assert "License-Expression: Apache-2.0" in metadata.splitlines()
