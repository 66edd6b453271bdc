"""The functional core stays pure: ``bot.engine`` imports no I/O library.

Two checks, from two sides:

1. Statically (with ``ast``): every module in ``bot/engine/`` and, transitively,
   every ``bot.*`` module it imports (parent packages' ``__init__`` included,
   since importing ``bot.catalog.flow`` runs ``bot/catalog/__init__.py``) must
   not import a network, storage, event-loop, file or YAML library, nor call
   ``open()``. This is what the design promises, and it is checked on the source,
   so it also covers code paths a test never runs.

2. At run time: ``import bot.engine`` in a fresh interpreter must not load the
   channel, store or HTTP client libraries, nor the YAML catalog loader. This
   check is limited to what third-party libraries cannot drag in on their own:
   ``asyncio``, ``socket`` and ``pathlib`` are not asserted absent there,
   because pydantic and the standard library may import them (``socket`` is
   loaded today through the stdlib's ``email``/``urllib`` helpers pydantic
   uses); for our own code the static check already forbids them.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "bot" / "engine"

FORBIDDEN = frozenset(
    {
        "telegram",
        "slack_bolt",
        "slack_sdk",
        "redis",
        "fakeredis",
        "asyncio",
        "aiohttp",
        "httpx",
        "socket",
        "yaml",
        "pathlib",
    }
)
"""Top-level packages the engine (and what it imports from bot.*) must not import."""

FILE_CALLS = frozenset({"open", "read_text", "read_bytes", "write_text", "write_bytes"})

NOT_LOADED_AT_RUN_TIME = (
    "telegram",
    "slack_bolt",
    "slack_sdk",
    "redis",
    "fakeredis",
    "httpx",
    "aiohttp",
    "yaml",
    "bot.catalog.loader",
    "bot.catalog.yamlio",
    "bot.store",
    "bot.channels",
    "bot.conversations",
)


def module_file(name: str) -> Path | None:
    """The source file of ``bot.*`` module ``name``, or None if it is not a module."""
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, here: str | None = None) -> tuple[set[str], list[str]]:
    """(every module ``path`` imports, every file-opening call in it as "line: call").

    ``here`` is the module's dotted name (default: worked out from its place in bot/).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = here or module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    calls: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{node.module}" if node.module else anchor
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # may be submodules
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if called in FILE_CALLS:
                calls.append(f"{node.lineno}: {called}()")
        elif isinstance(node, ast.Name) and node.id == "__import__":
            calls.append(f"{node.lineno}: __import__")
    return found, calls


def with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def engine_closure() -> dict[str, set[str]]:
    """``bot.*`` module -> what it imports, for bot.engine and everything it pulls in."""
    todo = [module_name(p) for p in sorted(ENGINE.glob("*.py"))]
    seen: dict[str, set[str]] = {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = module_file(name)
        if path is None:  # "from bot.engine import Reply": an attribute, not a module
            continue
        found, _ = imports_of(path)
        seen[name] = found
        for imported in found:
            for candidate in with_parents(imported):
                if candidate.split(".")[0] == "bot" and candidate not in seen:
                    todo.append(candidate)
    return seen


def test_the_static_walk_sees_the_whole_engine_and_the_catalog_models() -> None:
    closure = engine_closure()
    for name in ("bot.engine.machine", "bot.engine.typed", "bot.engine.assessment"):
        assert name in closure
    for name in ("bot", "bot.catalog", "bot.catalog.flow", "bot.catalog.content"):
        assert name in closure, f"{name} is imported by the engine but was not walked"
    assert "bot.catalog.loader" not in closure


def test_the_engine_and_what_it_imports_use_no_io_library() -> None:
    offenders = {
        name: sorted(i for i in found if i.split(".")[0] in FORBIDDEN)
        for name, found in engine_closure().items()
    }
    assert {name: bad for name, bad in offenders.items() if bad} == {}


@pytest.mark.parametrize("name", sorted(engine_closure()))
def test_no_engine_module_opens_files(name: str) -> None:
    path = module_file(name)
    assert path is not None
    _, calls = imports_of(path)
    assert calls == [], f"{path.relative_to(ROOT)} touches files: {calls}"


def test_the_checker_catches_io_imports_and_file_access(tmp_path: Path) -> None:
    """The walk itself works: a module that imports redis and reads a file is caught."""
    spot = tmp_path / "leaky.py"
    spot.write_text(
        "import redis.asyncio\n"
        "from pathlib import Path\n"
        "from . import yamlio\n"
        "open('flows.yaml')\n"
        "Path('content.yaml').read_text()\n"
    )
    found, calls = imports_of(spot, here="bot.catalog.leaky")
    assert {"redis.asyncio", "pathlib", "bot.catalog.yamlio"} <= found
    assert calls == ["4: open()", "5: read_text()"]


def test_importing_the_engine_loads_no_channel_store_or_network_library() -> None:
    code = "import sys, bot.engine; print('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded = set(done.stdout.split())
    assert "bot.engine.machine" in loaded
    leaked = sorted(loaded & set(NOT_LOADED_AT_RUN_TIME))
    assert leaked == [], f"import bot.engine loaded {leaked}"
