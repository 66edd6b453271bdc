"""``kneecheck flows check`` and ``kneecheck flows graph``, minus the argument parsing.

The CLI module only parses arguments and calls these, so the commands can be
tested by calling a function and reading stdout. Output is for flow authors:
one problem per line as ``file: path: message``, with files shown relative to
the working directory when they are inside it, then a one-line summary.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.catalog.catalog import Catalog
from bot.catalog.checks import check_catalog, reading
from bot.catalog.graph import mermaid
from bot.catalog.loader import CONTENT_DIR, FLOWS_DIR, CatalogError, load_catalog


def run_check(flows_dir: Path | None, content_dir: Path | None) -> int:
    """Load and cross-check every flow and content file; 0 when there is nothing to fix."""
    try:
        catalog = _load(flows_dir, content_dir)
    except CatalogError as exc:
        lines = [_relative_line(line) for line in exc.problems]
    else:
        lines = [f"{_relative(p.file)}: {p.path}: {p.message}" for p in check_catalog(catalog)]
        if not lines:
            print(f"flows check: OK ({_summary(catalog)}{_reading(catalog)})")
            return 0
    for line in lines:
        print(line)
    print(f"flows check: {_count(len(lines), 'problem')}")
    return 1


def run_graph(flow_id: str, flows_dir: Path | None, content_dir: Path | None) -> int:
    """Print the Mermaid diagram of ``flow_id`` in the default locale's words."""
    try:
        catalog = _load(flows_dir, content_dir)
    except CatalogError as exc:
        for line in exc.problems:
            print(_relative_line(line), file=sys.stderr)
        return 1
    if flow_id not in catalog.flows:
        known = ", ".join(sorted(catalog.flows)) or "none"
        print(f"flows graph: no flow {flow_id!r} (flows: {known})", file=sys.stderr)
        return 1
    print(mermaid(catalog.flow(flow_id), catalog.content(None)), end="")
    return 0


def _load(flows_dir: Path | None, content_dir: Path | None) -> Catalog:
    return load_catalog(flows_dir or FLOWS_DIR, content_dir or CONTENT_DIR)


def _summary(catalog: Catalog) -> str:
    steps = sum(len(f.steps) for f in catalog.flows.values())
    return ", ".join(
        (
            _count(len(catalog.flows), "flow"),
            _count(steps, "step"),
            _count(len(catalog.contents), "locale"),
        )
    )


def _reading(catalog: Catalog) -> str:
    """The default locale's reading grades, when it is English and textstat is installed
    (``make bench-reading`` lists every string)."""
    content = catalog.contents.get(catalog.default_locale)
    if content is None or not content.locale.startswith("en") or not reading.available():
        return ""
    readings = reading.measure(reading.reader_texts(content))
    long = reading.summarise(reading.long_strings(readings))
    return (
        f"; reading grade of {long.strings} strings of {reading.MIN_WORDS}+ words: "
        f"median {long.median:.1f}, 90th percentile {long.p90:.1f}"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _relative(file: str) -> str:
    """``flows/kneecheck.yaml`` rather than an absolute path, when under the working directory."""
    try:
        return str(Path(file).relative_to(Path.cwd()))
    except ValueError:
        return file


def _relative_line(line: str) -> str:
    """A loader problem line (``<path>: ...``) with its leading path made relative."""
    file, sep, rest = line.partition(": ")
    return f"{_relative(file)}{sep}{rest}" if sep else line
