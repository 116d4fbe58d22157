"""T-6: handling-code propagation. Hypothesis builds lineages dataset → hit →
cross-match report (per contributor, its rows and the released contents in them),
through the real import, run, release and report code, with random handling
codes; then tightens random datasets (looser or equal codes included), releases
random hits and runs the cross-match again. After every step each derived object's
code must equal the strictest code of its sources, and none may fall below it.

Networks do not exist yet: when they do, they join the lineage here."""

import json
import os
import re
from datetime import date

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from empact.analysis import crossmatching, rules, services
from empact.analysis.handling import tighten_handling
from empact.analysis.models import Dataset, Hit, Release
from empact.analysis.tests.conftest import person
from empact.errors import UserError
from empact.reports.crossmatch import crossmatch_html, crossmatch_report
from empact.reports.markings import LIMITE

CODES = ("DE", "NL", "EUROPOL")
HANDLING = ("H0", "H1", "H2", "H3")
PHONES = ("+49 151 2000001", "+49 151 2000002", "+49 151 2000003")
TODAY = date(2026, 3, 1)
# About half a second each: `make test` runs 16; `-m slow` runs 100.
EXAMPLES = int(os.getenv("EMPACT_T6_EXAMPLES", "16"))
EXAMPLES_SLOW = 100
SHOWN_CODE = re.compile(r'class="handling">(H[0-3])\b')

a_dataset = st.tuples(
    st.sampled_from(HANDLING),
    st.lists(st.sampled_from(PHONES), min_size=1, max_size=2, unique=True),
)
# DE and NL hold one or two datasets each, EUROPOL none to two.
holdings = st.fixed_dictionaries(
    {
        code: st.lists(a_dataset, min_size=code != "EUROPOL", max_size=2)
        for code in CODES
    }
)
# Codes strictest first: Hypothesis leans to the first, so most steps tighten.
a_tightening = st.tuples(
    st.just("tighten"), st.integers(0, 5), st.sampled_from(HANDLING[::-1])
)
a_step = st.one_of(
    a_tightening,
    st.tuples(st.just("release"), st.integers(0, 11), st.just("")),
    st.tuples(st.just("run"), st.just(0), st.just("")),
)
# Each lineage tightens (or tries to) at least once, then does up to two more steps.
lineages = st.tuples(
    holdings,
    st.tuples(a_tightening, st.lists(a_step, max_size=2)).map(lambda s: [s[0], *s[1]]),
)


class Tally:
    def __init__(self):
        self.lineages = self.tightened = self.refused = self.unchanged = 0
        self.kinds = {"hits": 0, "report rows": 0, "reports": 0, "released": 0}
        self.below = self.not_equal = self.shown_past_code = 0

    @property
    def derived(self) -> int:
        return sum(self.kinds.values())


@pytest.mark.parametrize(
    "examples", [EXAMPLES, pytest.param(EXAMPLES_SLOW, marks=pytest.mark.slow)]
)
def test_a_tightened_source_reaches_every_derived_object_at_once(
    examples, people, figure, tmp_path
):
    voices = {
        "DE": people["de_officer"],
        "NL": people["nl_officer"],
        "EUROPOL": people["analyst"],  # EUROPOL's analyst speaks for its data
    }
    tally = Tally()

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
        ],
    )
    @given(lineages)
    def check(lineage):
        with transaction.atomic():
            _lineage(*lineage, people["analyst"], voices, tmp_path, tally)
            transaction.set_rollback(True)

    check()
    kinds = ", ".join(f"{n} {k}" for k, n in tally.kinds.items())
    figure(
        f"T-6 handling propagation: {tally.lineages} lineages, {tally.tightened} "
        f"tightenings ({tally.refused} loosenings refused, {tally.unchanged} "
        f"unchanged), {tally.derived} derived objects ({kinds}), "
        f"{tally.below} below max(source code), {tally.not_equal} not equal to it, "
        f"{tally.shown_past_code} contents shown past their code"
    )
    assert tally.lineages == examples
    assert tally.tightened > 0 and tally.refused > 0
    assert tally.kinds["hits"] > 0 and tally.kinds["released"] > 0
    assert tally.below == 0
    assert tally.not_equal == 0
    assert tally.shown_past_code == 0


def _lineage(held, steps, analyst, voices, tmp_path, tally):
    for code, datasets in held.items():
        for index, (handling, phones) in enumerate(datasets):
            _ingest(code, index, handling, phones, voices, analyst, tmp_path)
    crossmatching.run_crossmatch(actor=analyst, today=TODAY)
    tally.lineages += 1
    _check(voices, tally)
    for kind, number, code in steps:
        if kind == "tighten":
            _tighten(number, code, analyst, tally)
        elif kind == "release":
            _release(number, voices)
        else:
            crossmatching.run_crossmatch(actor=analyst, today=TODAY)
        _check(voices, tally)


def _ingest(code, index, handling, phones, voices, analyst, tmp_path):
    entities = [
        person(f"{code}-{index}-{i}", f"{code} {index} {i}", phone=phone)
        for i, phone in enumerate(phones)
    ]
    path = tmp_path / f"{code}-{index}-{handling}-{'-'.join(phones)}.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in entities))
    given = services.Contribution(
        contributor=voices[code].organisation,
        handling=handling,
        purpose="T-6",
        collected_on=date(2026, 1, 1),
    )
    services.ingest_dataset(path, given, actor=analyst)


def _tighten(number, code, analyst, tally):
    datasets = list(Dataset.objects.order_by("pk"))
    if not datasets:
        return
    dataset = datasets[number % len(datasets)]
    before = dataset.handling
    try:
        done = tighten_handling(dataset, code, actor=analyst, reason="T-6")
    except UserError:
        assert code < before  # only a looser code is refused
        assert Dataset.objects.get(pk=dataset.pk).handling == before
        tally.refused += 1
        return
    assert code >= before
    if done.changed:
        tally.tightened += 1
    else:
        tally.unchanged += 1


def _release(number, voices):
    """The side with the looser code asks for the other's entity; its provider
    releases it."""
    hits = list(
        Hit.objects.order_by("pk").select_related(
            "left_dataset__contributor", "right_dataset__contributor"
        )
    )
    if not hits:
        return
    hit = hits[number % len(hits)]
    asking, giving = sorted(
        (hit.left_dataset, hit.right_dataset), key=lambda d: (d.handling, d.pk)
    )
    asker = voices[asking.contributor.code]
    release = services.request_release(hit, actor=asker, why="T-6")
    if release.state == Release.State.REQUESTED:
        provider = voices[giving.contributor.code]
        services.decide_release(release, actor=provider, grant=True)


def _check(voices, tally):
    """Every derived object against the codes of its sources as they stand now."""
    source = dict(Dataset.objects.values_list("pk", "handling"))
    sides = {}
    for hit in Hit.objects.all():
        sides[hit.pk] = (hit.left_dataset_id, hit.right_dataset_id)
        _compare(tally, "hits", hit.handling, [source[d] for d in sides[hit.pk]])
    released = {
        (r.dataset_id, r.entity, r.requester_id)
        for r in Release.objects.filter(state=Release.State.RELEASED)
    }
    for voice in voices.values():
        report = crossmatch_report(voice, voice.organisation)
        shown = SHOWN_CODE.findall(crossmatch_html(report, LIMITE))
        if not report.hits:
            assert shown == []
            continue
        everything = []
        for row in report.hits:
            codes = [source[d] for d in sides[row.hit_id]]
            everything += codes
            _compare(tally, "report rows", row.handling, codes)
            if row.content is not None:
                _disclosed(row, sides, source, released, voice, tally)
        _compare(tally, "reports", report.handling, everything)
        # What the reader sees: the report's code, then each row's.
        assert shown == [report.handling, *(row.handling for row in report.hits)]


def _disclosed(row, sides, source, released, voice, tally):
    other = next(d for d in sides[row.hit_id] if d != row.own_dataset.pk)
    other_entity = Hit.objects.get(pk=row.hit_id).side_of(voice.organisation_id)[3]
    if rules.needs_release(source[other]):
        if (other, other_entity, voice.organisation_id) not in released:
            tally.shown_past_code += 1
            return
        tally.kinds["released"] += 1


def _compare(tally, kind, code, sources):
    expected = max(sources)  # H0 < H1 < H2 < H3, as written
    tally.kinds[kind] += 1
    tally.below += code < expected
    tally.not_equal += code != expected
