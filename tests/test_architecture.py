"""Imports go one way (README, Layout): `flows` → `schemas`, `warehouse`. `warehouse` and `schemas`
never import `flows`; `schemas` imports neither `warehouse` nor anything that does I/O."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Modules whose import means a schema reaches a database, the network, Prefect or the file system's writers.
IO_MODULES = {"duckdb", "httpx", "prefect", "apprise", "requests", "urllib", "http", "socket", "shutil", "subprocess", "tempfile"}


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """Every module a file imports, absolute names; relative imports resolved against its package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = path.relative_to(root).parent.parts
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return found


def python_files(package: str, root: Path = ROOT) -> list[Path]:
    return sorted((root / package).rglob("*.py"))


def top_level(module: str) -> str:
    return module.split(".")[0]


def offenders(package: str, forbidden: set[str], root: Path = ROOT) -> dict[str, list[str]]:
    found = {}
    for path in python_files(package, root):
        bad = sorted(m for m in imported_modules(path, root) if top_level(m) in forbidden)
        if bad:
            found[path.relative_to(root).as_posix()] = bad
    return found


@pytest.mark.parametrize("package", ["warehouse", "schemas"])
def test_lower_layers_never_import_flows(package):
    assert python_files(package), f"no Python files under {package}/"
    assert offenders(package, {"flows"}) == {}


def test_schemas_import_neither_the_warehouse_nor_io():
    assert offenders("schemas", {"warehouse"} | IO_MODULES) == {}


def test_imported_modules_sees_every_import_form(tmp_path):
    source = tmp_path / "warehouse" / "sub" / "m.py"
    source.parent.mkdir(parents=True)
    source.write_text(
        "import duckdb, os.path\nfrom flows import cli\nfrom ..x import y\nfrom . import z\n"
        "def f():\n    import flows.config  # a lazy import counts too\n",
        encoding="utf-8",
    )
    found = imported_modules(source, tmp_path)
    assert {
        "duckdb",
        "os.path",
        "flows",
        "flows.cli",
        "warehouse.x",
        "warehouse.x.y",
        "warehouse.sub",
        "warehouse.sub.z",
        "flows.config",
    } <= found
    assert offenders("warehouse", {"flows"}, tmp_path) == {"warehouse/sub/m.py": ["flows", "flows.cli", "flows.config"]}


def test_tests_import_helpers_from_support_not_from_conftest():
    """conftest.py holds fixtures, which pytest injects; helpers and constants live in tests/support.py."""
    importing_conftest = {
        path.relative_to(ROOT).as_posix()
        for path in python_files("tests")
        if {"tests.conftest", "conftest"} & imported_modules(path)
    }
    assert importing_conftest == set()


# Inside flows/, what each sub-package must not import (README, Layout): the API source and the
# pipeline run without Prefect and know nothing of what runs them; nothing but the CLI imports it.
ENTRY_POINTS = {"flows.cli", "flows.text_output", "flows.update_trade", "flows.backfill", "flows.serve"}
ABOVE_THE_PIPELINE = {"prefect", "flows.orchestration", "flows.alerts", "flows.report", "flows.demo"} | ENTRY_POINTS
FORBIDDEN_INSIDE_FLOWS = {
    "flows/genesis": ABOVE_THE_PIPELINE | {"flows.pipeline", "warehouse", "schemas", "duckdb"},
    "flows/pipeline": ABOVE_THE_PIPELINE,
    "flows/alerts": {"flows.orchestration", "flows.report", "flows.demo", "flows.pipeline"} | ENTRY_POINTS,
    "flows/report": {"flows.orchestration", "flows.alerts", "flows.demo", "flows.pipeline"} | ENTRY_POINTS,
    "flows/orchestration": {"flows.demo", "flows.cli", "flows.text_output"},
    "flows/demo": {"flows.cli", "flows.text_output"},
}


def forbidden_imports(package: str, forbidden: set[str], root: Path = ROOT) -> dict[str, list[str]]:
    found = {}
    for path in python_files(package, root):
        bad = sorted(m for m in imported_modules(path, root) if any(m == f or m.startswith(f + ".") for f in forbidden))
        if bad:
            found[path.relative_to(root).as_posix()] = bad
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN_INSIDE_FLOWS))
def test_flows_sub_packages_import_one_way(package):
    assert python_files(package), f"no Python files under {package}/"
    assert forbidden_imports(package, FORBIDDEN_INSIDE_FLOWS[package]) == {}


def test_forbidden_imports_matches_whole_module_names(tmp_path):
    source = tmp_path / "flows" / "pipeline" / "m.py"
    source.parent.mkdir(parents=True)
    source.write_text("import prefect.states\nimport prefect_ish\nfrom flows import report\nfrom flows.reporting import x\n")
    assert forbidden_imports("flows/pipeline", {"prefect", "flows.report"}, tmp_path) == {
        "flows/pipeline/m.py": ["flows.report", "prefect.states"]
    }


PROJECT_PACKAGES = {"flows", "warehouse", "schemas", "benchmarks", "tests"}


def test_every_import_of_a_project_module_resolves_also_the_lazy_ones():
    """The CLI imports most modules inside the command that needs them (fast start-up); such an
    import breaks only when that command runs. Every `from <project module> import name` must name
    something the module has."""
    import importlib
    import importlib.util

    unresolved = []
    for package in sorted(PROJECT_PACKAGES):
        for path in python_files(package):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.ImportFrom) or node.level or top_level(node.module or "") not in PROJECT_PACKAGES:
                    continue
                module = importlib.import_module(node.module)
                for alias in node.names:
                    if not hasattr(module, alias.name) and importlib.util.find_spec(f"{node.module}.{alias.name}") is None:
                        unresolved.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.module}.{alias.name}")
    assert unresolved == []


# flows/ is what exportwatch ships. The demo's GENESIS server there always answers correctly; the
# tests' faults, request log and in-flight counter are a subclass in tests/fake_genesis.py.
DEMO_SERVER = ROOT / "flows" / "demo" / "genesis_server.py"
TESTS_SERVER = ROOT / "tests" / "fake_genesis.py"
# What tests/fake_genesis.py overrides: with `form` (a job keeps the form that started it, the
# request log every form), the only names it may share with the demo server.
OVERRIDDEN = {"__init__", "_answer", "_flat_file_zip", "_send", "server", "state", "handler_class"}
SAME_WORD = {"form"}


def defined_names(path: Path) -> set[str]:
    """Every name a module defines: module-level and class-level names (functions, classes,
    assignments, dataclass fields) and the attributes its methods set on `self`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for scope in [tree, *(node for node in ast.walk(tree) if isinstance(node, ast.ClassDef))]:
        for node in scope.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                found.add(node.name)
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            found.update(t.id for t in targets if isinstance(t, ast.Name))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name):
            if node.value.id == "self":
                found.add(node.attr)
    return found


def test_nothing_shipped_imports_the_tests():
    assert offenders("flows", {"tests", "pytest", "hypothesis"}) == {}


def test_the_demo_server_defines_none_of_the_machinery_the_tests_add():
    """A fault hook, a request log or a scripted status in the shipped server would show here as a
    name tests/fake_genesis.py defines too (beyond the methods it overrides)."""
    machinery = defined_names(TESTS_SERVER) - OVERRIDDEN - SAME_WORD
    assert {"Fault", "stall_seconds", "add_fault", "take_fault", "faults", "received", "in_flight", "revise"} <= machinery
    assert OVERRIDDEN <= defined_names(DEMO_SERVER), "tests/fake_genesis.py overrides what the demo server defines"
    shared = {path.relative_to(ROOT).as_posix(): sorted(defined_names(path) & machinery) for path in python_files("flows/demo")}
    assert {path: names for path, names in shared.items() if names} == {}


def test_defined_names_sees_fields_methods_and_attributes_set_on_self(tmp_path):
    source = tmp_path / "server.py"
    source.write_text(
        "LIMIT = 1\nclass Fault:\n    stall_seconds: float = 0.0\n    reset = False\n"
        "class State:\n    def add_fault(self, fault):\n        self.faults = [fault]\n        local = 2\n"
        "def take_fault(state):\n    state.taken = True\n",
        encoding="utf-8",
    )
    assert defined_names(source) == {"LIMIT", "Fault", "stall_seconds", "reset", "State", "add_fault", "faults", "take_fault"}


def python_bound_parameters(path: Path) -> list[str]:
    """Calls that hand DuckDB Python values for parameters: con.execute(sql, values), executemany, sql(params=)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("execute", "executemany", "sql", "query")
        and (len(node.args) >= 2 or any(k.arg in ("params", "parameters") for k in node.keywords))
    ]


def test_values_reach_duckdb_only_through_warehouse_parameters():
    """DuckDB's Python client imports pandas, numpy and pyarrow (0.3 s) the first time it converts a
    value for a parameter; warehouse/parameters.py binds without that (warehouse/README.md)."""
    shipped = [path for package in ("flows", "warehouse", "schemas") for path in python_files(package)]
    found = [call for path in shipped if path.name != "parameters.py" for call in python_bound_parameters(path)]
    assert found == []
    assert python_bound_parameters(ROOT / "warehouse" / "parameters.py") == []  # it passes text only
    assert python_bound_parameters(ROOT / "tests" / "test_parameters.py")  # the check sees such calls
