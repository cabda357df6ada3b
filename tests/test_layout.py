"""The architecture's import rules and the committed state chart, checked."""

from __future__ import annotations

import ast
from pathlib import Path

from statemachine import diagram

ROOT = Path(__file__).resolve().parent.parent


def imports_of(path: Path) -> set[str]:
    """Top-level module names imported (absolute imports) by a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_nothing_outside_kioskd_imports_kioskd() -> None:
    offenders = [
        f"{p.relative_to(ROOT)} imports {m}"
        for pkg in ("drivers", "statemachine")
        for p in files(pkg)
        for m in imports_of(p)
        if m == "kioskd" or m.startswith("kioskd.")
    ]
    assert offenders == []


def test_statemachine_reaches_drivers_only_through_base_and_errors() -> None:
    offenders = [
        f"{p.relative_to(ROOT)} imports {m}"
        for p in files("statemachine")
        for m in imports_of(p)
        if m.startswith("drivers") and m not in ("drivers.base", "drivers.errors")
    ]
    assert offenders == []


def test_drivers_never_import_each_other_or_the_machine() -> None:
    offenders = []
    for p in files("drivers"):
        rel = p.relative_to(ROOT / "drivers")
        own = rel.parts[0] if len(rel.parts) > 1 else None  # validator, printer, keypad
        for m in imports_of(p):
            parts = m.split(".")
            if parts[0] == "statemachine":
                offenders.append(f"{rel} imports {m}")
            if parts[0] == "drivers" and len(parts) > 1 and parts[1] in ("validator", "printer", "keypad"):
                if parts[1] != own:
                    offenders.append(f"{rel} imports {m}")
    assert offenders == []


def codec_modules() -> set[str]:
    """Each protocol's codec (its driver `<name>_device`'s `<name>`) and the validator modules it imports."""
    from drivers.registry import VALIDATORS

    todo = [kind.driver.partition(":")[0].removesuffix("_device") for kind in VALIDATORS.values()]
    found: set[str] = set()
    while todo:
        module = todo.pop()
        if module not in found:
            found.add(module)
            path = ROOT / (module.replace(".", "/") + ".py")
            todo += [m for m in imports_of(path) if m.startswith("drivers.validator.")]
    return found


def test_codecs_import_only_the_standard_library_and_driver_errors() -> None:
    """The codecs are tables of bytes: no I/O, no device logic, so a fifth protocol's is checked too."""
    import sys

    codecs = codec_modules()
    assert "drivers.validator.framing" in codecs and "drivers.validator.link" not in codecs
    offenders = [
        f"{module} imports {m}"
        for module in sorted(codecs)
        for m in imports_of(ROOT / (module.replace(".", "/") + ".py"))
        if m.split(".")[0] not in sys.stdlib_module_names and m not in ("drivers.errors", "__future__")
        and m not in codecs
    ]
    assert offenders == []


def test_the_committed_state_chart_matches_the_definition() -> None:
    committed = diagram.DOC.read_text(encoding="utf-8")
    assert committed == diagram.document(), "stale: run `python -m statemachine.diagram`"


def test_the_wire_contract_and_the_reference_backend_stand_apart_from_the_kiosk() -> None:
    """backend_api imports neither side; refbackend never imports kioskd; only kioskd.sim runs it."""
    offenders = [
        f"{p.relative_to(ROOT)} imports {m}"
        for pkg, banned in (("backend_api", ("kioskd", "refbackend", "drivers", "statemachine")),
                            ("refbackend", ("kioskd", "drivers", "statemachine")))
        for p in files(pkg)
        for m in imports_of(p)
        if m.split(".")[0] in banned
    ]
    offenders += [
        f"{p.relative_to(ROOT)} imports {m}"
        for p in files("kioskd")
        for m in imports_of(p)
        if m.split(".")[0] == "refbackend" and p.parent.name != "sim"
    ]
    assert offenders == []


def test_the_validator_drivers_are_listed_in_the_driver_table_only() -> None:
    """A fifth protocol is a row in drivers/registry.py plus its own files: no other list to edit."""
    from drivers.registry import NAMES

    offenders = []
    for pkg in ("kioskd", "drivers", "bench", "refbackend"):
        for p in files(pkg):
            if p == ROOT / "drivers" / "registry.py":
                continue
            for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Dict):
                    items = node.keys
                elif isinstance(node, ast.Call):
                    items = node.args  # _choice("id003", "ssp", ...)
                else:
                    items = getattr(node, "elts", [])
                named = {i.value for i in items if isinstance(i, ast.Constant) and i.value in NAMES}
                if len(named) >= 2:
                    offenders.append(f"{p.relative_to(ROOT)}:{node.lineno} lists {sorted(named)}")
    assert offenders == []


def test_no_module_is_over_400_lines() -> None:
    """Small modules (STYLE): a file that grows past 400 lines is split by what it does."""
    long = [
        f"{p.relative_to(ROOT)}: {n} lines"
        for pkg in ("kioskd", "drivers", "statemachine", "backend_api", "refbackend", "tests", "bench")
        for p in files(pkg)
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    ]
    assert long == []


def test_kioskd_is_grouped_by_the_people_it_serves() -> None:
    """New code lands in a room (docs/code-overview.md), not as a loose module beside the composition root."""
    rooms = {p.name for p in (ROOT / "kioskd").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert rooms == {"customer", "hall", "custody", "uplink", "control", "cli", "system", "sim", "ledger"}
    loose = {p.stem for p in (ROOT / "kioskd").glob("*.py")}
    # the entry points, the composition root, its config, device factory and event pump
    assert loose == {"__init__", "__main__", "app", "config", "devices", "pump", "runner"}
