"""No import cycle among the modules of one service (``services/<name>/``): imports read with
``ast``, those inside functions too."""
import ast
import pathlib

import pytest

SERVICES = pathlib.Path(__file__).resolve().parent.parent / "services"
PACKAGES = sorted(p.name for p in SERVICES.iterdir() if (p / "service.py").exists())


def imported_modules(path, package):
    """The modules of ``package`` that the module at ``path`` imports."""
    prefix = "services.%s" % package
    modules = {p.stem for p in (SERVICES / package).glob("*.py")}
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module] + ["%s.%s" % (node.module, alias.name) for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if ".".join(parts[:2]) == prefix and len(parts) > 2 and parts[2] in modules:
                found.add(parts[2])
    found.discard(path.stem)
    return found


def import_graph(package):
    return {path.stem: imported_modules(path, package) for path in sorted((SERVICES / package).glob("*.py"))}


def cycle(graph):
    """One cycle of ``graph`` as a list of modules (its first repeated at the end), or None."""
    state = {}

    def visit(module, path):
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                return path[path.index(target):] + [target]
            if target not in state:
                found = visit(target, path + [target])
                if found:
                    return found
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            found = visit(module, [module])
            if found:
                return found
    return None


def test_the_cycle_finder_finds_one():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_sees_module_and_from_imports():
    graph = import_graph("customers")
    assert {"store", "customer_record"} <= graph["archive"]
    assert "insights" in graph["effects"]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycle_among_a_services_modules(package):
    found = cycle(import_graph(package))
    assert found is None, "import cycle in services/%s: %s" % (package, " -> ".join(found))
