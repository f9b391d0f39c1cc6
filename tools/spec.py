"""Read the Bot API specification files in tools/botapi/ into one model.

``api.json`` (Bot API 10.1) is structured: return types and union variants
are data. ``aiogram-schema.json`` (Bot API 10.2) is newer but keeps both in
prose. The model takes structure from the first and, from the second, the
methods, types and fields the first lacks, parsing its prose for those only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

SPEC_DIR = Path(__file__).parent / "botapi"


@dataclass
class Field:
    name: str
    types: list[str]
    required: bool
    description: str


@dataclass
class Entity:
    name: str
    kind: str  # "method" or "type"
    section: str
    description: list[str]
    fields: list[Field] = field(default_factory=list)
    returns: list[str] = field(default_factory=list)
    subtypes: list[str] = field(default_factory=list)


@dataclass
class Spec:
    version: str
    release_date: str
    types: dict[str, Entity]
    methods: dict[str, Entity]


def load_spec(spec_dir: Path = SPEC_DIR) -> Spec:
    primary = json.loads((spec_dir / "api.json").read_text(encoding="utf-8"))
    newest = json.loads((spec_dir / "aiogram-schema.json").read_text(encoding="utf-8"))

    types: dict[str, Entity] = {}
    methods: dict[str, Entity] = {}
    for section in newest["items"]:
        for item in section["children"]:
            kind = "method" if item["category"] == "methods" else "type"
            known = primary["methods" if kind == "method" else "types"].get(item["name"])
            entity = _merge(item, known, kind, section["title"])
            (methods if kind == "method" else types)[entity.name] = entity

    missing = set(primary["methods"]) - set(methods) | set(primary["types"]) - set(types)
    if missing:
        raise ValueError(f"entities of api.json missing from the newer schema: {missing}")
    return Spec(
        version=newest["api"]["version"],
        release_date=newest["api"]["release_date"],
        types=types,
        methods=methods,
    )


def _merge(item: dict, known: dict | None, kind: str, section: str) -> Entity:
    """Build one entity: structure from api.json where it has it, else from prose."""
    known_fields = {f["name"]: f for f in (known or {}).get("fields", [])}
    fields = []
    for annotation in item.get("annotations", []):
        spec_field = known_fields.get(annotation["name"])
        if spec_field is not None:
            fields.append(
                Field(
                    spec_field["name"],
                    list(spec_field["types"]),
                    spec_field["required"],
                    spec_field["description"],
                )
            )
        else:
            fields.append(
                Field(
                    annotation["name"],
                    parse_type_text(annotation["type"]),
                    annotation["required"],
                    annotation["description"],
                )
            )

    if known is not None:
        description = list(known["description"])
        returns = list(known.get("returns", []))
        subtypes = list(known.get("subtypes", []))
    else:
        description = [line.strip() for line in item["description"].split("\n") if line.strip()]
        returns = parse_returns(item["description"]) if kind == "method" else []
        subtypes = []
    if kind == "type" and not fields:
        # A union: the newest variants are listed as " - Name" lines.
        for variant in re.findall(r"^\s*-\s*(\w+)\s*$", item["description"], re.MULTILINE):
            if variant not in subtypes:
                subtypes.append(variant)
    return Entity(
        name=item["name"],
        kind=kind,
        section=section,
        description=description,
        fields=fields,
        returns=returns,
        subtypes=subtypes,
    )


def parse_type_text(text: str) -> list[str]:
    """Turn a docs-style type ("Array of A, B and C", "Integer or String") into a list."""
    text = text.strip()
    if text.startswith("Array of "):
        return ["Array of " + inner for inner in parse_type_text(text[len("Array of ") :])]
    parts = [part.strip() for part in re.split(r",|\bor\b|\band\b", text)]
    return ["Boolean" if part == "True" else part for part in parts if part]


def parse_returns(description: str) -> list[str]:
    """Find the return type in a method's prose (only needed for methods api.json lacks)."""
    if re.search(r"\bReturns True\b|\bTrue is returned\b", description):
        return ["Boolean"]
    found = re.search(r"[Rr]eturns (?:the \w+ )?(?:an? )?(Array of )?([A-Z]\w+)", description)
    if found is None:
        found = re.search(r"the (?:sent |edited )?(Array of )?([A-Z]\w+) is returned", description)
    if found is None:
        raise ValueError(f"no return type in: {description[:120]}")
    return [(found.group(1) or "") + found.group(2)]
