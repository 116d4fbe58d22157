"""Reads for the Joint Action Day pages: the plan's JADs, one JAD with its results
and KPI mapping, and one organisation's results to edit.

A JAD is seen by whoever sees its plan (jad.view); looking at the list or at one
JAD is a consultation of operational results and is logged before anything is
returned.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch, Sum
from django.http import Http404

from empact.accounts import permissions
from empact.audit.log import record, record_consultation
from empact.audit.models import AuditEntry
from empact.organisations.models import Organisation
from empact.plans.models import KPI, Action, Plan
from empact.reporting.models import JADMapping, JADMeasure, JADResult, JointActionDay
from empact.reporting.selectors import plan_for

# The measures counted without a kind, in the order the pages show them.
PLAIN_MEASURES = [m for m in JADMeasure if m != JADMeasure.SEIZURES]
# Why a refused JAD action is refused, as the pages tell it.
REFUSALS = {
    "jad.manage": "only the plan's driver and co-drivers, EMPACT support and the "
    "leaders of its operational actions plan Joint Action Days",
    "jad.link": "only the plan's driver and co-drivers, EMPACT support and the "
    "leader or co-leader of an operational action declare what its KPIs count",
    "jad.coordinate": "only the plan's driver and co-drivers, EMPACT support and "
    "the leaders of one of this JAD's operational actions record another "
    "organisation's results or declare the KPI mapping here",
    "jad.report": "results are recorded by the JAD's coordinators, and by users of "
    "a participating organisation who hold a role in one of its operational "
    "actions, for their own organisation",
}


@dataclass(frozen=True)
class Totals:
    """What some results add up to: plain measures, and seizures by kind."""

    plain: dict[str, int] = field(default_factory=dict)
    seizures: dict[str, int] = field(default_factory=dict)

    def plain_row(self) -> list[tuple[str, int | None]]:
        """(label, total or None) per plain measure, in page order."""
        return [(m.label, self.plain.get(m.value)) for m in PLAIN_MEASURES]

    def seizure_rows(self) -> list[tuple[str, int]]:
        """(kind, count) of seizures, by kind."""
        return sorted(self.seizures.items())

    @property
    def seizure_total(self) -> int:
        return sum(self.seizures.values())

    @property
    def is_empty(self) -> bool:
        return not self.plain and not self.seizures


@dataclass(frozen=True)
class JADRow:
    jad: JointActionDay
    totals: Totals


@dataclass(frozen=True)
class JADsPage:
    plan: Plan
    rows: list[JADRow]
    actions: list[Action]  # the plan's OAs, for the planning form

    @property
    def measure_labels(self) -> list[str]:
        return [m.label for m in PLAIN_MEASURES]


def jads_page(slug: str, *, actor, request=None) -> JADsPage:
    """The plan's JADs with their OAs, lead, participants and totals; Http404 for
    an unknown or invisible plan. Logs the consultation first."""
    plan = plan_for(slug, actor=actor, request=request)
    jads = list(_with_links(plan.jads.all()))
    record(
        "jointactionday.consulted",
        actor=actor,
        operation=AuditEntry.Operation.CONSULTATION,
        obj=plan,
        request=request,
        extra={"jads": [j.pk for j in jads]},
    )
    totals = _totals_by_jad(JADResult.objects.filter(jad__plan=plan))
    return JADsPage(
        plan=plan,
        rows=[JADRow(j, totals.get(j.pk, Totals())) for j in jads],
        actions=list(plan.actions.order_by("position", "ref")),
    )


def _with_links(jads):
    return jads.select_related("lead", "plan").prefetch_related(
        Prefetch("actions", queryset=Action.objects.order_by("position", "ref")),
        Prefetch("participants", queryset=Organisation.objects.order_by("code")),
    )


def _totals_by_jad(results) -> dict[int, Totals]:
    rows = results.values("jad_id", "measure", "seizure_kind").annotate(
        total=Sum("value")
    )
    found: dict[int, Totals] = defaultdict(Totals)
    for row in rows.order_by():
        _add(found[row["jad_id"]], row["measure"], row["seizure_kind"], row["total"])
    return found


def _add(totals: Totals, measure: str, kind: str, value: int) -> None:
    if measure == JADMeasure.SEIZURES:
        totals.seizures[kind] = totals.seizures.get(kind, 0) + value
    else:
        totals.plain[measure] = totals.plain.get(measure, 0) + value


def get_jad_for(actor, pk: int, *, request=None) -> JointActionDay:
    """JAD `pk` with its plan, OAs and participants if `actor` may see it; Http404
    alike for one that does not exist and one whose plan they may not see."""
    jad = _with_links(JointActionDay.objects.filter(pk=pk)).first()
    if jad is None:
        raise Http404("no such Joint Action Day")
    permissions.require(actor, "jad.view", jad, request=request)
    return jad


@dataclass(frozen=True)
class OrganisationResults:
    organisation: Organisation
    totals: Totals
    may_record: bool


@dataclass(frozen=True)
class MappingRow:
    kpi: KPI
    mapping: JADMapping | None
    may_map: bool  # the actor may declare a mapping for this KPI now


@dataclass(frozen=True)
class JADPage:
    jad: JointActionDay
    results: list[OrganisationResults]  # one per participant
    totals: Totals
    mappings: list[MappingRow]  # every KPI of the JAD's OAs

    @property
    def mappable(self) -> list[KPI]:
        return [row.kpi for row in self.mappings if row.may_map]

    @property
    def measure_labels(self) -> list[str]:
        return [m.label for m in PLAIN_MEASURES]


def jad_page(jad: JointActionDay, *, actor, request=None) -> JADPage:
    """One JAD: results per participating organisation, totals, and the declared
    mapping of its OAs' KPIs. Records the consultation first."""
    record_consultation(jad, actor=actor, request=request)
    by_org: dict[int, Totals] = defaultdict(Totals)
    total = Totals()
    for r in jad.results.order_by():
        _add(by_org[r.organisation_id], r.measure, r.seizure_kind, r.value)
        _add(total, r.measure, r.seizure_kind, r.value)
    return JADPage(
        jad=jad,
        results=[
            OrganisationResults(
                o, by_org.get(o.pk, Totals()), may_record(actor, jad, o)
            )
            for o in jad.participants.all()
        ],
        totals=total,
        mappings=_mapping_rows(jad, actor),
    )


def may_record(actor, jad: JointActionDay, organisation: Organisation) -> bool:
    """Whether `actor` may record `organisation`'s results in `jad`."""
    if not permissions.can(actor, "jad.report", jad):
        return False
    if organisation.pk == actor.organisation_id:
        return True
    return permissions.can(actor, "jad.coordinate", jad)


def jad_kpis(jad: JointActionDay) -> list[KPI]:
    """Every KPI of the JAD's OAs, with its plan and declared mapping."""
    kpis = KPI.objects.filter(action__in=jad.actions.all()).select_related(
        "action__plan", "jad_mapping"
    )
    return list(kpis.order_by("action__position", "action__ref", "letter"))


def _mapping_rows(jad, actor) -> list[MappingRow]:
    rows = []
    for kpi in jad_kpis(jad):
        mapping = getattr(kpi, "jad_mapping", None)
        may_map = (
            mapping is None
            and kpi.kind == KPI.Kind.COUNT
            and permissions.can(actor, "jad.link", kpi.action)
        )
        rows.append(MappingRow(kpi, mapping, may_map))
    return rows


def jad_mapped_kpis(action: Action) -> set[int]:
    """Ids of the OA's KPIs that count JAD results: contributions must leave the
    JAD's results out of them, or they would count twice."""
    return set(
        JADMapping.objects.filter(kpi__action=action).values_list("kpi_id", flat=True)
    )


def participant_for(jad: JointActionDay, code: str) -> Organisation:
    """The participating organisation `code` of `jad`; Http404 if it took no part."""
    for organisation in jad.participants.all():
        if organisation.code == code:
            return organisation
    raise Http404("no such participant")


def consult_results(
    jad: JointActionDay, organisation: Organisation, *, actor, request=None
) -> list[JADResult]:
    """results_of, for the organisation's results form: the consultation is
    logged first (the caller has checked that `actor` may record them)."""
    record(
        "jadresult.consulted",
        actor=actor,
        operation=AuditEntry.Operation.CONSULTATION,
        obj=jad,
        request=request,
        extra={"organisation": organisation.code},
    )
    return results_of(jad, organisation)


def results_of(jad: JointActionDay, organisation: Organisation) -> list[JADResult]:
    """What `organisation` has recorded in `jad`, seizures by kind last."""
    return list(
        jad.results.filter(organisation=organisation).order_by(
            "measure", "seizure_kind"
        )
    )
