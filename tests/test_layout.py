"""The import graph of the project's packages reads one way: no import cycles (lazy and type-only
imports count, since each one marks a module doing two jobs), and ``kb``, ``classifier`` and
``handoff`` never import ``bot``.

The graph is read from the source with :mod:`ast` (nothing is imported), so a cycle closed inside a
function or under ``TYPE_CHECKING`` is found as well as one at module level."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "kb", "classifier", "handoff")
DOMAIN = ("kb", "classifier", "handoff")

def module_files() -> dict[str, Path]:
    """Dotted module name -> source file, for every module of the four packages (migrations left out:
    Alembic loads them by path)."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            if "migrations" in parts:
                continue
            found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, modules: set[str]) -> set[str]:
    """The project modules ``name`` imports anywhere in its source (module level, in functions, under
    ``TYPE_CHECKING``). ``from a.b import c`` counts as importing ``a.b.c`` when that is a module,
    else ``a.b``; importing ``a.b.c`` counts as importing the package ``a.b`` too (Python runs its
    ``__init__`` first) unless ``name`` is inside ``a.b``."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = name.split(".") if is_package else name.split(".")[:-1]
                here = here[: len(here) - (node.level - 1)]
                base = ".".join([*here, base] if base else here)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.add(sub if sub in modules else base)
    found = {t for t in targets if t in modules and t != name}
    # importing a.b.c runs the package a.b first (its __init__), unless the importer is inside a.b
    for t in list(found):
        parts = t.split(".")
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            if parent in modules and parent != name and not name.startswith(parent + "."):
                found.add(parent)
    return found


def import_graph() -> dict[str, set[str]]:
    files = module_files()
    names = set(files)
    return {name: imports_of(name, path, names) for name, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected parts with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                part.add(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(frozenset(part))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read_from_the_source() -> None:
    graph = import_graph()
    assert "bot.app" in graph and "bot.config" in graph["bot.app"]
    assert "kb.service" in graph["classifier.router"]


def test_domain_packages_never_import_bot() -> None:
    graph = import_graph()
    wrong = sorted(f"{m} imports {t}" for m, ts in graph.items() if m.split(".")[0] in DOMAIN
                   for t in ts if t.split(".")[0] == "bot")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles() -> None:
    found = [sorted(c) for c in cycles(import_graph())]
    assert not found, f"import cycles: {found}"


def test_a_cycle_through_a_lazy_import_is_found(tmp_path) -> None:
    """The guard itself: two modules importing each other, one of them inside a function."""
    (tmp_path / "a.py").write_text("import b\n")
    (tmp_path / "b.py").write_text("def f():\n    from a import x\n")
    names = {"a", "b"}
    graph = {n: imports_of(n, tmp_path / f"{n}.py", names) for n in names}
    assert cycles(graph) == [frozenset(names)]


SMALL = ("bot", "handoff", "kb")  # packages whose modules each do one job
MAX_LINES = 350


def test_domain_modules_stay_small_or_say_why() -> None:
    """A module of ``bot``, ``handoff`` or ``kb`` over MAX_LINES lines states why in its docstring ("Over
    350 lines: ...")."""
    long = []
    for name, path in module_files().items():
        if name.split(".")[0] not in SMALL:
            continue
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > MAX_LINES and f"Over {MAX_LINES} lines" not in (ast.get_docstring(ast.parse(text)) or ""):
            long.append(f"{name}: {lines} lines")
    assert not long, "split these by job, or say why not in their docstring: " + ", ".join(long)


def test_a_cycle_through_a_package_init_is_found(tmp_path) -> None:
    """Importing ``pkg.sub`` runs ``pkg/__init__.py`` first: a module that ``pkg/__init__`` imports and that
    imports ``pkg.sub`` closes a cycle; ``pkg``'s own modules importing each other do not."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("import m\nfrom pkg import sub\n")
    (tmp_path / "pkg" / "sub.py").write_text("from pkg import other\n")
    (tmp_path / "pkg" / "other.py").write_text("")
    (tmp_path / "m.py").write_text("from pkg.sub import y\n")
    paths = {"pkg": tmp_path / "pkg" / "__init__.py", "pkg.sub": tmp_path / "pkg" / "sub.py",
             "pkg.other": tmp_path / "pkg" / "other.py", "m": tmp_path / "m.py"}
    graph = {n: imports_of(n, p, set(paths)) for n, p in paths.items()}
    assert cycles(graph) == [frozenset({"pkg", "m"})]
