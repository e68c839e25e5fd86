"""The hand-written data in ``storage/demo/data/*.toml`` as checked values: openers, cases,
features, the invoice spike, reply pools, companies and the support team (loaded once)."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from importlib import resources
from typing import Any

from supportmail.storage.demo.common import DATA_FILES, HISTORY_DAYS, LANGS, SPIKE_DAYS


@dataclass(frozen=True, slots=True)
class Opener:
    """A thread's first message and how the conversation and its tags go on."""

    lang: str
    team: str
    category: str
    subject: str
    body: str
    labels: tuple[str, ...] = ()
    script: tuple[str, ...] = ()
    """Later turns written by hand, alternating team reply and customer answer."""
    note: str = ""
    html: str = ""
    """``""`` (decided at random), ``"plain"``, ``"alt"`` or ``"only"``."""
    attach: str = ""
    plain: bool = False
    """True: the body is the whole text (no greeting, sign-off or signature added)."""
    pool: str = ""
    """Which reply pool continues the conversation (defaults to the category)."""
    tagging: str = ""
    """``""`` (decided at random), ``"full"``, ``"none"``, ``"team"`` or ``"category"``."""
    window: tuple[float, float] = (0.0, HISTORY_DAYS)
    """Days before ``now`` the thread may start in."""
    agent: str = ""
    length: int = 0
    slots: tuple[tuple[str, str], ...] = ()
    kind: str = "normal"
    sender: str = ""
    """A fixed sender (``Name <addr>``) instead of a generated customer."""


@dataclass(frozen=True, slots=True)
class Company:
    """A customer company from ``people.toml``."""

    name: str
    domain: str
    lang: str
    zone: str


@dataclass(frozen=True, slots=True)
class Agent:
    """A support agent from ``people.toml``."""

    name: str
    first: str
    addr: str
    title: str
    zone: str
    langs: tuple[str, ...]
    local_name: str


@dataclass(frozen=True, slots=True)
class Feature:
    """A feature request customers ask for, from ``features.toml``."""

    label: str
    count: int
    team: str
    names: Mapping[str, str]
    subjects: Mapping[str, tuple[str, ...]]
    asks: Mapping[str, tuple[str, ...]]
    reasons: Mapping[str, tuple[str, ...]]
    bodies: Mapping[str, tuple[str, ...]]
    langs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoData:
    """Every data file, loaded and checked (``demo_data``)."""

    people: Mapping[str, Any]
    companies: tuple[Company, ...]
    agents: tuple[Agent, ...]
    pools: Mapping[str, Any]
    openers: tuple[Opener, ...]
    cases: tuple[Opener, ...]
    case_context: Mapping[str, Any]
    features: tuple[Feature, ...]
    feature_extra: Mapping[str, tuple[str, ...]]
    spike: tuple[Opener, ...]
    spike_template: Mapping[str, Any]


_OPENER_FIELDS = frozenset(f.name for f in fields(Opener))


def str_tuple(value: Any) -> tuple[str, ...]:
    """A TOML string or list of strings as a tuple of strings."""
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value or ())


def opener_from(table: Mapping[str, Any], **defaults: Any) -> Opener:
    """Build an opener from a TOML table; unknown keys are typos in the data and raise."""
    unknown = set(table) - _OPENER_FIELDS
    if unknown:
        raise ValueError(f"demo data: unknown opener keys {sorted(unknown)} in {table!r:.80}")
    values: dict[str, Any] = {**defaults, **table}
    for key in ("labels", "script"):
        values[key] = str_tuple(values.get(key, ()))
    if "window" in values:
        values["window"] = (float(values["window"][0]), float(values["window"][1]))
    if "slots" in values and isinstance(values["slots"], Mapping):
        values["slots"] = tuple(sorted((str(k), str(v)) for k, v in values["slots"].items()))
    return Opener(**values)


def _feature(table: Mapping[str, Any]) -> Feature:
    def per_lang(key: str) -> dict[str, tuple[str, ...]]:
        return {lang: str_tuple(v) for lang, v in table.get(key, {}).items()}

    return Feature(
        label=table["label"],
        count=int(table["count"]),
        team=table["team"],
        names=dict(table["name"]),
        subjects=per_lang("subjects"),
        asks=per_lang("asks"),
        reasons=per_lang("reasons"),
        bodies=per_lang("bodies"),
        langs=str_tuple(table.get("langs", LANGS)),
    )


def _read_toml(name: str) -> dict[str, Any]:
    path = resources.files("supportmail.storage.demo").joinpath("data").joinpath(f"{name}.toml")
    return tomllib.loads(path.read_text(encoding="utf-8"))


@functools.cache
def demo_data() -> DemoData:
    """Load and check every data file once per process."""
    raw = {name: _read_toml(name) for name in DATA_FILES}
    people = raw["people"]
    openers: list[Opener] = []
    for lang in LANGS:
        openers.extend(opener_from(t, lang=lang) for t in raw[f"openers_{lang}"]["opener"])
    cases = raw["cases"]
    spike = raw["spike"]
    return DemoData(
        people=people,
        companies=tuple(Company(n, d, lang, z) for n, d, lang, z in people["companies"]),
        agents=tuple(
            Agent(
                a["name"],
                a["first"],
                a["addr"],
                a["title"],
                a["zone"],
                str_tuple(a["langs"]),
                a.get("local_name", a["name"]),
            )
            for a in people["agent"]
        ),
        pools=raw["replies"],
        openers=tuple(openers),
        cases=tuple(opener_from(t, category="bug", kind="case") for t in cases["case"]),
        case_context=cases["context"],
        features=tuple(_feature(t) for t in raw["features"]["feature"]),
        feature_extra={k: str_tuple(v) for k, v in raw["features"]["extra"].items()},
        spike=tuple(opener_from(t, **SPIKE_DEFAULTS) for t in spike["opener"]),
        spike_template=spike["template"],
    )


SPIKE_DEFAULTS: dict[str, Any] = {
    "team": "billing",
    "category": "bug",
    "kind": "spike",
    "pool": "spike",
    "tagging": "full",
    "window": (0.0, SPIKE_DAYS),
}
