"""Reading ``flows/`` and ``content/`` from disk into a :class:`Catalog`.

Errors name the file and the path inside it, so an author can fix a flow
without reading a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.catalog.catalog import DEFAULT_LOCALE, Catalog
from bot.catalog.content import Content
from bot.catalog.flow import Flow
from bot.catalog.regions import Where
from bot.catalog.yamlio import load_yaml
from bot.understanding import CompiledLexicon, Lexicon, compile_lexicon

ROOT = Path(__file__).resolve().parents[2]
FLOWS_DIR = ROOT / "flows"
CONTENT_DIR = ROOT / "content"

M = TypeVar("M", bound=BaseModel)


class CatalogError(Exception):
    """One or more files could not be loaded; ``problems`` has one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _load_model(path: Path, model: type[M], problems: list[str]) -> M | None:
    try:
        data = load_yaml(path)
    except (OSError, yaml.YAMLError) as exc:
        problems.append(f"{path}: cannot read YAML: {exc}".replace("\n", " "))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(part) for part in err["loc"]) or "(top level)"
            problems.append(f"{path}: {where}: {err['msg']}")
        return None


def load_catalog(
    flows_dir: Path = FLOWS_DIR,
    content_dir: Path = CONTENT_DIR,
    default_locale: str = DEFAULT_LOCALE,
) -> Catalog:
    """Load every ``*.yaml`` in both folders; raise :class:`CatalogError` listing all problems."""
    problems: list[str] = []
    flows: dict[str, Flow] = {}
    contents: dict[str, Content] = {}
    sources: dict[str, str] = {}
    for path in sorted(flows_dir.glob("*.yaml")):
        flow = _load_model(path, Flow, problems)
        if flow is not None:
            flows[flow.id] = flow
            sources[f"flow:{flow.id}"] = str(path)
    for path in sorted(content_dir.glob("*.yaml")):
        content = _load_model(path, Content, problems)
        if content is not None:
            contents[content.locale] = content
            sources[f"content:{content.locale}"] = str(path)
    if not flows and not problems:
        problems.append(f"{flows_dir}: no flow files (*.yaml)")
    if default_locale not in contents and not problems:
        problems.append(f"{content_dir}: no content for the default locale {default_locale!r}")
    lexicons = _load_lexicons(content_dir / "understanding", contents, flows, sources, problems)
    for locale, content in contents.items():
        if locale not in lexicons and not problems:
            # No lexicon for this locale: its answers' own words still work, and no more.
            bare = Lexicon(locale=locale, concepts={}, signs={})
            lexicons[locale] = compile_lexicon(bare, _option_texts(content, flows))
    where = (
        _load_model(content_dir / "regions" / "where.yaml", Where, problems)
        if (content_dir / "regions" / "where.yaml").exists()
        else Where()
    )
    if problems:
        raise CatalogError(problems)
    assert where is not None
    return Catalog(
        flows=flows,
        contents=contents,
        default_locale=default_locale,
        sources=sources,
        lexicons=lexicons,
        where=where,
    )


def _option_texts(
    content: Content, flows: dict[str, Flow]
) -> dict[str, dict[str, tuple[str, ...]]]:
    """Each question's option texts as phrases; a bare number is left out where the option
    says which numbers it means (typing "7" at the 0-10 question is the value 7)."""
    valued = {(s.id, o.id) for f in flows.values() for s in f.steps for o in s.options if o.means}
    return {
        step: {
            o: tuple(
                p
                for p in (t.label, *t.synonyms)
                if not ((step, o) in valued and p.strip().isdigit())
            )
            for o, t in text.options.items()
        }
        for step, text in content.steps.items()
    }


def _load_lexicons(
    folder: Path,
    contents: dict[str, Content],
    flows: dict[str, Flow],
    sources: dict[str, str],
    problems: list[str],
) -> dict[str, CompiledLexicon]:
    """Each locale's lexicon, with that locale's option texts as the phrases of its answers."""
    lexicons: dict[str, CompiledLexicon] = {}
    for path in sorted(folder.glob("*.yaml")):
        lexicon = _load_model(path, Lexicon, problems)
        if lexicon is None:
            continue
        content = contents.get(lexicon.locale)
        options = _option_texts(content, flows) if content else {}
        try:
            lexicons[lexicon.locale] = compile_lexicon(lexicon, options)
        except ValueError as exc:
            problems.append(f"{path}: {exc}")
            continue
        sources[f"lexicon:{lexicon.locale}"] = str(path)
    return lexicons
