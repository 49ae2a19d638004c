"""The house rules of ``tracker/`` (drawn in ``tracker/README.md``), read from the code itself.

The import graph is built with ``ast`` from every ``.py`` file under ``tracker/``: an edge A → B
whenever file A names file B in an ``import`` or ``from … import`` statement, **wherever the
statement stands** — at the top, inside a function, under ``if TYPE_CHECKING``. An import
deferred into a function still ties the two files together (one cannot be read, tested or
changed without the other); deferring it only hides the circle from Python's loader.

An edge goes to the file named: ``from tracker.x import y`` is an edge to ``tracker/x/y.py``
when that is a module, else to ``tracker/x/__init__.py`` (or ``tracker/x.py``). Importing
``tracker.x.y`` also runs the packages' ``__init__.py`` files, but that is Python's doing, not
the file's, and is not counted: ``tracker/__init__.py`` is the app factory that imports every
feature's pages, so counting it would tie every file to every other. Imports by computed name
(``importlib.import_module(f"...{name}")``) cannot be read from the code and are not counted.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tracker"
MAX_LINES = 600
# Not held to the line limit: generated migrations, and third-party files kept as their authors ship them.
LINE_LIMIT_EXEMPT = ("migrations", "static/vendor")

# The ground floor: the pieces every feature stands on. They import nothing above themselves.
GROUND = {
    "tracker.access", "tracker.archives", "tracker.config", "tracker.docx_text", "tracker.downloads",
    "tracker.errors", "tracker.extensions", "tracker.files", "tracker.inputs", "tracker.official_docx",
    "tracker.spreadsheets", "tracker.throttle", "tracker.timeline",
    "tracker.timeutil", "tracker.audit.models", "tracker.audit.services", "tracker.audit.log",
    "tracker.sweeps", "tracker.sweeps.errors", "tracker.sweeps.models", "tracker.sweeps.services",
}
# The calendar: stands on the ground floor only.
CALENDAR = {"tracker.workcal.engine", "tracker.workcal.notices", "tracker.workcal.models", "tracker.workcal.services"}
# Pages: what a person sees. Only other pages and the top floor may import them.
PAGE_FILES = {"views", "public_views", "forms", "audit_log", "present", "web"}
# The top floor: the app factory, the processes, the loaders that import every feature's module.
TOP = {"tracker", "tracker.cli", "tracker.scheduler", "tracker.models", "tracker.indexes",
       "tracker.audit.sources", "tracker.notify.sources", "tracker.worklist.sources",
       "tracker.reports.cli", "tracker.scores.cli", "tracker.bulletins.commands", "tracker.sweeps.simulation"}
TOP_FOLDERS = ("tracker.demo", "tracker.bench_data", "tracker.migrations")
# The features in reading order: below its pages, a feature reads only features of a lower rank.
FEATURE_RANK = {"disclosure": 0, "applications": 0, "reports": 1, "inspections": 1, "scores": 2, "bulletins": 3}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(package: Path) -> dict[str, set[str]]:
    """{module: modules of the same package it imports anywhere in its file}."""
    root = package.parent
    files = {module_name(p, root): p for p in package.rglob("*.py")}

    def existing(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for module, path in files.items():
        is_package = path.name == "__init__.py"
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets.update(existing(a.name) for a in node.names if a.name.split(".")[0] == package.name)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module.split(".") if is_package else module.split(".")[:-1]
                    base = base[:len(base) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                if source.split(".")[0] != package.name:
                    continue
                for alias in node.names:
                    submodule = f"{source}.{alias.name}"
                    targets.add(submodule if submodule in files else existing(source))
        targets.discard(None)
        targets.discard(module)
        graph[module] = targets
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each group of files that reach one another through imports (Tarjan's strongly connected
    components of more than one file), sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):  # recursive: the graph is a few hundred files deep at most
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def describe(group: list[str], graph: dict[str, set[str]]) -> str:
    members = set(group)
    return "\n".join(f"  {m} → {', '.join(sorted(graph[m] & members))}" for m in group)


@pytest.fixture(scope="module")
def graph():
    return import_graph(PACKAGE)


def test_no_import_circle_between_files(graph):
    found = circles(graph)
    assert not found, "import circles (each group's files import one another):\n" + "\n\n".join(
        describe(group, graph) for group in found)


def test_no_file_under_tracker_is_over_600_lines():
    too_long = {}
    for path in sorted(PACKAGE.rglob("*")):
        relative = path.relative_to(PACKAGE).as_posix()
        if not path.is_file() or "__pycache__" in relative or relative.startswith(LINE_LIMIT_EXEMPT):
            continue
        try:
            lines = len(path.read_text(encoding="utf-8").splitlines())
        except UnicodeDecodeError:  # an image or another binary file
            continue
        if lines > MAX_LINES:
            too_long[relative] = lines
    assert not too_long, f"files over {MAX_LINES} lines (split them along their seams): {too_long}"


def _is_page(module: str) -> bool:
    return module.rpartition(".")[2] in PAGE_FILES


def _is_top(module: str) -> bool:
    return module in TOP or module.startswith(TOP_FOLDERS) or module.endswith(".demo")


def test_models_and_services_know_nothing_of_pages(graph):
    """Views, forms, the audit log's descriptions and the page shell are imported only by other
    pages and by the top floor: a model, a rule or a service that imported one would drag the
    page's vocabulary into every job and command."""
    wrong = sorted(f"{m} → {t}" for m, targets in graph.items() if not (_is_page(m) or _is_top(m))
                   for t in targets if _is_page(t))
    assert not wrong, "modules below the pages importing a page:\n  " + "\n  ".join(wrong)


def test_the_ground_floor_and_the_calendar_import_only_what_is_below_them(graph):
    allowed = {**{m: GROUND for m in GROUND}, **{m: GROUND | CALENDAR for m in CALENDAR}}
    assert set(allowed) <= set(graph), f"no such modules: {sorted(set(allowed) - set(graph))}"
    wrong = sorted(f"{m} → {t}" for m, below in allowed.items() for t in graph[m] if t not in below)
    assert not wrong, "ground floor or calendar importing from above:\n  " + "\n  ".join(wrong)


def _feature(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in FEATURE_RANK else None


def test_features_read_only_the_features_before_them(graph):
    """disclosure and applications first; reports and inspections read them; scores reads those
    four; bulletins reads the rest. Pages (and a feature's demo data) may read any feature."""
    wrong = sorted(
        f"{m} → {t}" for m, targets in graph.items() if _feature(m) and not (_is_page(m) or _is_top(m))
        for t in targets if _feature(t) and _feature(t) != _feature(m)
        and FEATURE_RANK[_feature(t)] >= FEATURE_RANK[_feature(m)])
    assert not wrong, "features reading a feature that is not before them:\n  " + "\n  ".join(wrong)


# --- the checker itself ------------------------------------------------------------------------------

def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    package = tmp_path / "tracker"
    for name, text in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return package


def test_the_checker_sees_a_circle_hidden_in_a_function(tmp_path):
    package = _package(tmp_path, {
        "__init__.py": "",
        "timeutil.py": "def parse():\n    from .inputs import parse_day\n    return parse_day\n",
        "inputs.py": "from tracker.timeutil import parse\n",
        "feature/__init__.py": "",
        "feature/models.py": "from ..timeutil import parse\n",
        "feature/services.py": "from . import models\nfrom .. import inputs\n",
    })
    graph = import_graph(package)
    assert graph["tracker.feature.services"] == {"tracker.feature.models", "tracker.inputs"}
    assert circles(graph) == [["tracker.inputs", "tracker.timeutil"]]


def test_the_checker_passes_a_house_without_circles(tmp_path):
    package = _package(tmp_path, {
        "__init__.py": "from .feature import views\n",
        "timeutil.py": "import datetime\n",
        "feature/__init__.py": "",
        "feature/models.py": "from tracker import timeutil\n",
        "feature/views.py": "from tracker.feature.models import Thing\n",
    })
    graph = import_graph(package)
    assert graph["tracker.feature.views"] == {"tracker.feature.models"}
    assert circles(graph) == []
