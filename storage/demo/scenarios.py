"""Which threads exist (independent of ``now``): hand-written openers, feature requests, cases
dressed in varied context sentences and the invoice spike, shuffled by the seeded generator."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from supportmail.storage.demo.common import (
    HISTORY_DAYS,
    LANGS,
    SPIKE_DAYS,
    TARGET_THREADS,
    fill_slots,
)
from supportmail.storage.demo.handwritten import (
    SPIKE_DEFAULTS,
    DemoData,
    Feature,
    Opener,
    opener_from,
    str_tuple,
)


class _Deck:
    """Draws from lists of phrases without repeating one until all were used."""

    def __init__(self, table: Mapping[str, Any], rng: random.Random) -> None:
        self._table = table
        self._rng = rng
        self._left: dict[str, list[str]] = {}

    def draw(self, key: str) -> str:
        left = self._left.get(key)
        if not left:
            left = list(str_tuple(self._table[key]))
            self._rng.shuffle(left)
            self._left[key] = left
        return left.pop()


def _feature_openers(data: DemoData, rng: random.Random) -> list[Opener]:
    """The feature requests: each label ``count`` times, in several languages."""
    out: list[Opener] = []
    for feat in data.features:
        used: dict[str, int] = {}
        decks: dict[str, _Deck] = {}
        for i in range(feat.count):
            lang = _feature_lang(feat, i, rng)
            phrases = {"asks": feat.asks.get(lang, ()), "reasons": feat.reasons.get(lang, ())}
            deck = decks.setdefault(
                lang, _Deck({**phrases, "extra": data.feature_extra[lang]}, rng)
            )
            out.append(_feature_opener(feat, lang, used.get(lang, 0), deck, rng))
            used[lang] = used.get(lang, 0) + 1
    return out


def _feature_lang(feat: Feature, i: int, rng: random.Random) -> str:
    if i == 0 or len(feat.langs) == 1:
        return "en"
    roll = rng.random()
    if roll < 0.16 and "de" in feat.langs:
        return "de"
    if roll < 0.24 and "zh" in feat.langs:
        return "zh"
    return "en"


def _feature_opener(feat: Feature, lang: str, nth: int, deck: _Deck, rng: random.Random) -> Opener:
    """The nth request for a feature in one language: hand-written first, then composed."""
    bodies = feat.bodies.get(lang, ())
    if nth < len(bodies):
        body = bodies[nth]
    else:
        body = deck.draw("asks") + " " + deck.draw("reasons")
        if rng.random() < 0.6:
            body += "\n\n" + deck.draw("extra")
    subjects = feat.subjects[lang]
    return Opener(
        lang=lang,
        team=feat.team,
        category="feature-request",
        labels=(feat.label,),
        subject=subjects[nth % len(subjects)],
        body=body,
        tagging="full",
        kind="feature",
        slots=(("feature", feat.names[lang]),),
    )


def _case_openers(data: DemoData, rng: random.Random, count: int) -> list[Opener]:
    """Short cases (mostly bug reports), each dressed in its own context sentences."""
    cases = list(data.cases)
    decks = {
        (lang, group): _Deck(table, rng)
        for lang, groups in data.case_context.items()
        for group, table in groups.items()
    }
    out: list[Opener] = []
    rounds = 0
    while len(out) < count:
        rng.shuffle(cases)
        for case in cases:
            if len(out) == count:
                break
            if rounds and rng.random() < (0.45 if case.lang == "en" else 0.7):
                continue
            group = "bug" if case.category == "bug" else "question"
            out.append(_dress_case(case, decks[case.lang, group]))
        rounds += 1
    return out


def _dress_case(case: Opener, deck: _Deck) -> Opener:
    slots = {key: deck.draw(key) for key in ("since", "platform", "impact", "ask")}
    error = dict(case.slots).get("error", "")
    slots["error_line"] = (
        fill_slots(deck.draw("error_line"), {"error": error}) + "\n\n" if error else ""
    )
    slots["symptom"] = case.body.strip()
    return replace(case, body=fill_slots(deck.draw("shape"), slots).strip())


def _spike_openers(data: DemoData, rng: random.Random) -> list[Opener]:
    """The invoice incident: ~25 tagged threads in the last week, a few not yet triaged."""
    out = list(data.spike)
    tpl = data.spike_template
    langs = [lang for lang, w in (("en", 11), ("de", 3), ("zh", 1)) for _ in range(w)]
    untagged = int(tpl["untagged"])
    total = int(tpl["tagged"]) + untagged
    decks = {lang: _Deck(tpl[lang], rng) for lang in LANGS}
    while len(out) < total:
        lang = rng.choice(langs)
        deck = decks[lang]
        body = deck.draw("bodies")
        if rng.random() < 0.5:
            body += "\n\n" + deck.draw("extra")
        fresh = len(out) >= total - untagged
        defaults = {**SPIKE_DEFAULTS, "lang": lang}
        if fresh:
            defaults.update(tagging="none", window=(0.0, 0.8))
        out.append(opener_from({"subject": deck.draw("subjects"), "body": body}, **defaults))
    return out


def scenario_openers(data: DemoData, rng: random.Random) -> list[Opener]:
    """Every thread's opener: handwritten, feature requests, the spike and generated cases."""
    fixed = list(data.openers) + _feature_openers(data, rng) + _spike_openers(data, rng)
    fixed += _case_openers(data, rng, max(0, TARGET_THREADS - len(fixed)))
    rng.shuffle(fixed)
    return _steady_billing_bugs(fixed)


def _steady_billing_bugs(openers: list[Opener]) -> list[Opener]:
    """Spread the billing bugs before the incident evenly, so the spike stands out clearly."""
    steady = [
        i
        for i, op in enumerate(openers)
        if op.team == "billing" and op.category == "bug" and op.kind != "spike"
    ]
    lo, hi = SPIKE_DAYS + 0.7, HISTORY_DAYS
    step = (hi - lo) / max(1, len(steady))
    out = list(openers)
    for slot, i in enumerate(steady):
        out[i] = replace(out[i], window=(lo + slot * step, lo + (slot + 1) * step))
    return out
