"""YAML loading that cannot surprise a flow author.

PyYAML's default resolver turns ``yes``/``no``/``on``/``off`` into booleans, and
our flows are full of yes/no answers. This loader is a ``SafeLoader`` whose
implicit bool resolver only accepts ``true``/``false``, so ``yes`` stays the
string ``"yes"``. It also refuses duplicate mapping keys, which YAML silently
merges and which would hide a copy-paste mistake in a flow or content file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml


class StrictSafeLoader(yaml.SafeLoader):
    """Safe loader: YAML 1.2 booleans only, and no duplicate keys."""


# Drop every implicit resolver for bool, then add back a YAML 1.2 one.
StrictSafeLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StrictSafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_mapping(loader: StrictSafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


StrictSafeLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def load_yaml(path: Path) -> Any:
    """Load one YAML document from ``path`` with :class:`StrictSafeLoader`."""
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=StrictSafeLoader)  # StrictSafeLoader is a SafeLoader
