"""The hand-written data in ``storage/demo/data/*.toml`` as checked values: openers, cases,
features, the invoice spike, reply pools, companies and the support team (loaded once)."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from importlib import resources
from typing import Any

from supportmail.storage.demo.common import _DATA_FILES, _HISTORY_DAYS, _LANGS, _SPIKE_DAYS


@dataclass(frozen=True, slots=True)
class _Opener:
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
    window: tuple[float, float] = (0.0, _HISTORY_DAYS)
    """Days before ``now`` the thread may start in."""
    agent: str = ""
    length: int = 0
    slots: tuple[tuple[str, str], ...] = ()
    kind: str = "normal"
    sender: str = ""
    """A fixed sender (``Name <addr>``) instead of a generated customer."""


@dataclass(frozen=True, slots=True)
class _Company:
    name: str
    domain: str
    lang: str
    zone: str


@dataclass(frozen=True, slots=True)
class _Agent:
    name: str
    first: str
    addr: str
    title: str
    zone: str
    langs: tuple[str, ...]
    local_name: str


@dataclass(frozen=True, slots=True)
class _Feature:
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
class _Data:
    people: Mapping[str, Any]
    companies: tuple[_Company, ...]
    agents: tuple[_Agent, ...]
    pools: Mapping[str, Any]
    openers: tuple[_Opener, ...]
    cases: tuple[_Opener, ...]
    case_context: Mapping[str, Any]
    features: tuple[_Feature, ...]
    feature_extra: Mapping[str, tuple[str, ...]]
    spike: tuple[_Opener, ...]
    spike_template: Mapping[str, Any]


_OPENER_FIELDS = frozenset(f.name for f in fields(_Opener))


def _tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value or ())


def _opener(table: Mapping[str, Any], **defaults: Any) -> _Opener:
    """Build an opener from a TOML table; unknown keys are typos in the data and raise."""
    unknown = set(table) - _OPENER_FIELDS
    if unknown:
        raise ValueError(f"demo data: unknown opener keys {sorted(unknown)} in {table!r:.80}")
    values: dict[str, Any] = {**defaults, **table}
    for key in ("labels", "script"):
        values[key] = _tuple(values.get(key, ()))
    if "window" in values:
        values["window"] = (float(values["window"][0]), float(values["window"][1]))
    if "slots" in values and isinstance(values["slots"], Mapping):
        values["slots"] = tuple(sorted((str(k), str(v)) for k, v in values["slots"].items()))
    return _Opener(**values)


def _feature(table: Mapping[str, Any]) -> _Feature:
    def per_lang(key: str) -> dict[str, tuple[str, ...]]:
        return {lang: _tuple(v) for lang, v in table.get(key, {}).items()}

    return _Feature(
        label=table["label"],
        count=int(table["count"]),
        team=table["team"],
        names=dict(table["name"]),
        subjects=per_lang("subjects"),
        asks=per_lang("asks"),
        reasons=per_lang("reasons"),
        bodies=per_lang("bodies"),
        langs=_tuple(table.get("langs", _LANGS)),
    )


def _read_toml(name: str) -> dict[str, Any]:
    path = resources.files("supportmail.storage.demo").joinpath("data").joinpath(f"{name}.toml")
    return tomllib.loads(path.read_text(encoding="utf-8"))


@functools.cache
def _data() -> _Data:
    """Load and check every data file once per process."""
    raw = {name: _read_toml(name) for name in _DATA_FILES}
    people = raw["people"]
    openers: list[_Opener] = []
    for lang in _LANGS:
        openers.extend(_opener(t, lang=lang) for t in raw[f"openers_{lang}"]["opener"])
    cases = raw["cases"]
    spike = raw["spike"]
    return _Data(
        people=people,
        companies=tuple(_Company(n, d, lang, z) for n, d, lang, z in people["companies"]),
        agents=tuple(
            _Agent(
                a["name"],
                a["first"],
                a["addr"],
                a["title"],
                a["zone"],
                _tuple(a["langs"]),
                a.get("local_name", a["name"]),
            )
            for a in people["agent"]
        ),
        pools=raw["replies"],
        openers=tuple(openers),
        cases=tuple(_opener(t, category="bug", kind="case") for t in cases["case"]),
        case_context=cases["context"],
        features=tuple(_feature(t) for t in raw["features"]["feature"]),
        feature_extra={k: _tuple(v) for k, v in raw["features"]["extra"].items()},
        spike=tuple(_opener(t, **_SPIKE_DEFAULTS) for t in spike["opener"]),
        spike_template=spike["template"],
    )


_SPIKE_DEFAULTS: dict[str, Any] = {
    "team": "billing",
    "category": "bug",
    "kind": "spike",
    "pool": "spike",
    "tagging": "full",
    "window": (0.0, _SPIKE_DAYS),
}
