"""Building a report's sections from one read of the plan (see the package doc)."""

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from django.utils import timezone

from empact.plans.models import Plan
from empact.reporting import attainment, selectors
from empact.reporting.attainment import (
    Amount,
    KPIAttainment,
    Reported,
    ScopeAttainment,
    SourceKey,
    Status,
    TargetSpec,
    Thresholds,
)
from empact.reporting.dashboards import configured_thresholds, written
from empact.reporting.models import ActivityStatus, Contribution, ReportingPeriod
from empact.reports.content import headlines as hl
from empact.reports.content.model import (
    ActionSection,
    ActivityRow,
    CountryRow,
    GoalSection,
    Headline,
    Issue,
    JADRow,
    KPIRow,
    Narrative,
    PlanInfo,
    StatusCounts,
    Summary,
)

LOCKED = ReportingPeriod.State.LOCKED
ACCEPTED = (Contribution.State.ACCEPTED,)
REPORTED = (Contribution.State.SUBMITTED, Contribution.State.ACCEPTED)
ACTIVITY_LABELS = dict(ActivityStatus.Status.choices)
LEADING_ROLES = ("leader", "co_leader")
Half = tuple[int, int]  # (year, half)


class Builder:
    """Reads once (a fixed number of queries), then builds every section.

    `scope` holds the report's reporting periods; values count from every
    half-year up to `through` (a year's KPIs, a period KPI's earlier years),
    in a final only from locked periods. `year` is the year whose KPI scope
    rows show (None: the plan period)."""

    def __init__(
        self,
        source: Plan,
        *,
        scope: list[ReportingPeriod],
        through: Half,
        year: int | None,
        as_of: date,
        draft: bool,
        thresholds: Thresholds | None,
    ):
        self.plan = selectors.report_plan(source)
        self.year, self.as_of, self.draft = year, as_of, draft
        self.through = through
        self.thresholds = thresholds or configured_thresholds()
        periods = list(self.plan.periods.all())
        self.counted_halves = {
            (p.year, p.half)
            for p in periods
            if (p.year, p.half) <= through and (draft or p.state == LOCKED)
        }
        self.scope = [p for p in scope if draft or p.state == LOCKED]
        self.left_out = [p for p in scope if p not in self.scope]
        self.amounts = {
            kpi_id: {k: r for k, r in found.items() if self._counts(k)}
            for kpi_id, found in selectors.report_amounts(self.plan).items()
        }
        self.contributions = selectors.report_contributions(
            self.plan, periods=self.scope, states=REPORTED
        )
        states = REPORTED if draft else ACCEPTED
        self.counted = [c for c in self.contributions if c.state in states]
        self.jads = selectors.report_jads(self.plan)
        self.participations = selectors.report_participations(self.plan)

    def _counts(self, key: SourceKey) -> bool:
        """A draft counts every half-year up to its end, JAD results even where
        no period exists yet; a final only its locked periods."""
        _source, year, half = key
        if self.draft:
            return (year, half) <= self.through
        return (year, half) in self.counted_halves

    # What every report carries

    def common(self, *, kind, title, scope, scope_label) -> dict:
        plan = self.plan
        return {
            "kind": kind,
            "title": title,
            "plan": PlanInfo(
                slug=plan.slug,
                title=plan.title,
                priority=plan.priority,
                period=plan.period,
                council_document=plan.council_document,
                driver=plan.driver.name,
                co_drivers=tuple(o.name for o in plan.co_drivers.all()),
                distribution=plan.marking,
            ),
            "scope": scope,
            "scope_label": scope_label,
            "as_of": self.as_of,
            "marking": plan.marking,
            "draft": self.draft,
            "generated_at": timezone.now(),
            "periods_counted": tuple(
                f"{y}-H{h}" for y, h in sorted(self.counted_halves)
            ),
            "periods_left_out": tuple(p.code for p in self.left_out),
        }

    # Sections

    def goals(self, *, comprehensive: bool) -> tuple[GoalSection, ...]:
        by_action = defaultdict(list)
        for contribution in self.counted:
            by_action[contribution.action_id].append(contribution)
        pending: dict[int, int] = defaultdict(int)
        for c in self.contributions:
            if c.state == Contribution.State.SUBMITTED:
                pending[c.action_id] += 1
        sections = []
        for goal in self.plan.goals.all():
            actions = tuple(
                self._action(a, by_action[a.pk], pending[a.pk], comprehensive)
                for a in goal.actions.all()
            )
            statuses = sum((a.statuses for a in actions), StatusCounts())
            sections.append(
                GoalSection(goal.number, goal.title, goal.objective, actions, statuses)
            )
        return tuple(sections)

    def summary(self, goals: tuple[GoalSection, ...]) -> Summary:
        actions = [a for g in goals for a in g.actions]
        activities = [row for a in actions for row in a.activities]
        return Summary(
            actions=len(actions),
            kpis=sum(len(a.kpis) for a in actions),
            statuses=sum((g.statuses for g in goals), StatusCounts()),
            contributions=sum(a.contributions for a in actions),
            pending_contributions=sum(a.pending_contributions for a in actions),
            activities_completed=sum(r.status == "completed" for r in activities),
            activities_delayed=sum(r.status == "delayed" for r in activities),
            activities_overdue=sum(r.is_overdue for r in activities),
            jads=len(self._jads_in_scope()),
        )

    def jad_rows(self, action_id: int | None = None) -> list[JADRow]:
        rows = []
        for jad in self._jads_in_scope():
            actions = list(jad.actions.all())
            if action_id is not None and action_id not in {a.pk for a in actions}:
                continue
            totals: dict[tuple[str, str], int] = defaultdict(int)
            for result in jad.results.all():
                key = (str(result.get_measure_display()), result.seizure_kind)
                totals[key] += result.value
            rows.append(
                JADRow(
                    name=jad.name,
                    starts=jad.starts,
                    ends=jad.ends,
                    lead=jad.lead.code,
                    participants=len(jad.participants.all()),
                    oas=tuple(a.ref for a in actions),
                    results=tuple((m, k, v) for (m, k), v in totals.items()),
                )
            )
        return rows

    def headlines(self) -> list[Headline]:
        found = [self._headline(rule) for rule in hl.HEADLINES]
        recorded = len(self._jads_in_scope()) if self.jads else None
        action_days = [
            (action.ref, kpi.letter, value)
            for action, kpi in self._kpis()
            if hl.counts_action_days(kpi.text, kpi.kind)
            and (value := self._year_value(kpi)) is not None
        ]
        found.insert(hl.JADS_POSITION, hl.jads_headline(recorded, action_days))
        return found

    def countries(self) -> list[CountryRow]:
        orgs: dict[str, set[int]] = defaultdict(set)
        actions: dict[str, set[int]] = defaultdict(set)
        leads: dict[str, set[int]] = defaultdict(set)
        names: dict[str, str] = {}
        for p in self.participations:
            code = p.organisation.country or p.organisation.code
            # A state's own organisation (code IT) names the country; another
            # body of that country stands in until it is met.
            if code not in names or p.organisation.code == code:
                names[code] = p.organisation.name
            orgs[code].add(p.organisation_id)
            actions[code].add(p.action_id)
            if p.role in LEADING_ROLES:
                leads[code].add(p.action_id)
        contributions: dict[str, int] = defaultdict(int)
        for c in self.counted:
            contributions[c.organisation.country or c.organisation.code] += 1
        return [
            CountryRow(
                code=code,
                name=names[code],
                organisations=len(orgs[code]),
                actions=len(actions[code]),
                leads=len(leads[code]),
                contributions=contributions[code],
            )
            for code in sorted(names, key=lambda c: (-len(actions[c]), c))
        ]

    # One OA

    def _action(self, action, counted, pending, comprehensive) -> ActionSection:
        kpis = tuple(self._kpi_row(action, kpi) for kpi in action.kpis.all())
        activities = tuple(self._activities(action, counted))
        return ActionSection(
            ref=action.ref,
            title=action.title,
            short_title=action.short_title,
            leader=action.leader.code,
            leader_name=action.leader.name,
            co_leader=action.co_leader.code if action.co_leader else "",
            kpis=kpis,
            activities=activities,
            narratives=tuple(self._narratives(action, counted)),
            issues=tuple(_issues(kpis, activities)),
            highlights=tuple(_highlights(kpis)),
            not_achieved=tuple(_not_achieved(kpis)) if comprehensive else (),
            jads=tuple(self.jad_rows(action.pk)),
            links=action.links,
            statuses=StatusCounts.of(k.status for k in kpis),
            contributions=len(counted),
            pending_contributions=pending if self.draft else 0,
        )

    def _kpi_row(self, action, kpi) -> KPIRow:
        reported = self.amounts.get(kpi.pk, {})
        spec = _target_spec(kpi)
        shown = _scope_of(self._attainment(spec, reported), self.year)
        scope = shown
        if self.draft:
            with_pending = self._attainment(spec, _with_pending(reported))
            scope = _scope_of(with_pending, self.year)
        status = Status(scope.status)
        return KPIRow(
            ref=f"{action.ref} {kpi.letter}",
            letter=kpi.letter,
            text=kpi.text,
            kind=kpi.kind,
            unit=kpi.unit,
            target_text=kpi.target_text,
            scope=scope.label,
            target=scope.target,
            expected=scope.expected,
            accepted=shown.accepted,
            pending=shown.pending if self.draft else None,
            value=scope.accepted,
            this_period=self._this_period(kpi, reported),
            share_of_expected=scope.share_of_expected,
            share_of_target=scope.share_of_target,
            status=status.value,
            status_label=status.label,
            status_symbol=status.symbol,
            reason=scope.reason,
        )

    def _attainment(self, spec, reported) -> KPIAttainment:
        return attainment.kpi_attainment(
            spec,
            reported,
            years=self.plan.years,
            today=self.as_of,
            thresholds=self.thresholds,
        )

    def _this_period(self, kpi, reported) -> Decimal | None:
        """Light report: what was counted in its one period alone."""
        if len(self.scope) != 1:
            return None
        period = self.scope[0]
        amount = Amount()
        for (_source, year, half), r in reported.items():
            if (year, half) == (period.year, period.half):
                amount += r.accepted + (r.pending if self.draft else Amount())
        if not amount.count:
            return None
        return attainment.aggregate(amount, kpi.aggregation)

    def _activities(self, action, counted) -> list[ActivityRow]:
        latest = max((c.period.code for c in counted), default="")
        reports: dict[int, list] = defaultdict(list)
        for contribution in sorted(
            counted, key=lambda c: (c.period.code, c.organisation.code)
        ):
            for status in contribution.activity_statuses.all():
                reports[status.activity_id].append((contribution, status))
        rows = []
        for activity in action.activities.all():
            found = reports.get(activity.pk, [])
            chosen = _chosen_status(found, action.leader_id, latest)
            code = chosen.status if chosen else ""
            rows.append(
                ActivityRow(
                    number=activity.number,
                    text=activity.text,
                    timing=activity.timing,
                    status=code,
                    status_label=str(ACTIVITY_LABELS.get(code, "Not reported")),
                    comments=tuple(
                        f"{c.organisation.code}: {s.comment}"
                        for c, s in found
                        if s.comment.strip()
                    ),
                    reports=tuple(
                        (c.organisation.code, str(ACTIVITY_LABELS[s.status]))
                        for c, s in found
                        if c.period.code == latest
                    ),
                    is_overdue=attainment.is_overdue(
                        activity.quarters or {}, code or None, today=self.as_of
                    ),
                )
            )
        return rows

    def _narratives(self, action, counted) -> list[Narrative]:
        leaders = {action.leader_id, action.co_leader_id} - {None}
        found = [
            Narrative(
                organisation=c.organisation.code,
                organisation_name=c.organisation.name,
                period=c.period.code,
                text=c.narrative,
                is_leader=c.organisation_id in leaders,
                is_pending=c.state != Contribution.State.ACCEPTED,
            )
            for c in counted
            if c.narrative.strip()
        ]
        # The leader's account first (the action leader reports to the driver,
        # seed section 5.2), then the participants by period and code.
        return sorted(found, key=lambda n: (not n.is_leader, n.period, n.organisation))

    # The fact sheet

    def _kpis(self):
        for goal in self.plan.goals.all():
            for action in goal.actions.all():
                for kpi in action.kpis.all():
                    yield action, kpi

    def _jads_in_scope(self) -> list:
        years = {self.year} if self.year is not None else set(self.plan.years)
        return [
            j
            for j in self.jads
            if j.starts.year in years and self._counts(("", *_half_of(j.starts)))
        ]

    def _headline(self, rule: hl.HeadlineRule) -> Headline:
        values, mapped = [], set()
        for action, kpi in self._kpis():
            if rule.key not in hl.headline_keys(kpi.text, kpi.kind):
                continue
            mapping = getattr(kpi, "jad_mapping", None)
            if mapping is not None and rule.measure and mapping.measure == rule.measure:
                mapped |= self._jad_pairs(action.pk, mapping)
            value = self._year_value(kpi)
            if value is not None:
                values.append((action.ref, kpi.letter, value))
        unmapped = Decimal(0)
        if rule.measure:
            unmapped = Decimal(
                sum(
                    result.value
                    for jad in self._jads_in_scope()
                    for result in jad.results.all()
                    if result.measure == rule.measure
                    and (jad.pk, result.organisation_id, result.seizure_kind)
                    not in mapped
                )
            )
        return hl.headline(rule, values, unmapped)

    def _year_value(self, kpi) -> Decimal | None:
        """The KPI's value counted in the report's year (sum KPIs only)."""
        reported = self.amounts.get(kpi.pk, {})
        if self.draft:
            reported = _with_pending(reported)
        amount = Amount()
        for (_source, year, _half), r in reported.items():
            if year == self.year:
                amount += r.accepted
        return amount.total if amount.count else None

    def _jad_pairs(self, action_id: int, mapping) -> set[tuple[int, int, str]]:
        """The results a KPI counts through its mapping: (JAD, organisation, kind)."""
        return {
            (jad.pk, result.organisation_id, result.seizure_kind)
            for jad in self._jads_in_scope()
            if action_id in {a.pk for a in jad.actions.all()}
            for result in jad.results.all()
            if result.measure == mapping.measure
            and result.seizure_kind == mapping.seizure_kind
        }


def _half_of(day: date) -> Half:
    return day.year, 1 if day.month <= 6 else 2


def _target_spec(kpi) -> TargetSpec:
    by_year = {
        int(year): Decimal(str(value))
        for year, value in (kpi.target_by_year or {}).items()
        if value is not None
    }
    return TargetSpec(kpi.target_value, kpi.target_scope, by_year, kpi.aggregation)


def _with_pending(reported: Mapping[SourceKey, Reported]) -> dict:
    """Pending amounts counted as if accepted (drafts)."""
    return {
        key: Reported(r.accepted + r.pending, Amount()) for key, r in reported.items()
    }


def _scope_of(found: KPIAttainment, year: int | None) -> ScopeAttainment:
    """The year's scope when the year has a target, else the plan period's."""
    if year is None:
        return found.period
    scope = next(s for s in found.years if s.label == str(year))
    if scope.target is None and found.period.target is not None:
        return found.period
    return scope


def _chosen_status(found, leader_id, latest) -> ActivityStatus | None:
    in_latest = [(c, s) for c, s in found if c.period.code == latest]
    for contribution, status in in_latest:
        if contribution.organisation_id == leader_id:
            return status
    return in_latest[0][1] if in_latest else None


def _issues(kpis: tuple[KPIRow, ...], activities: tuple[ActivityRow, ...]):
    for row in activities:
        if row.status == ActivityStatus.Status.DELAYED:
            why = "; ".join(row.comments)
            yield Issue(
                "delayed",
                f"Activity {row.number} is delayed" + (f" ({why})" if why else ""),
            )
        elif row.is_overdue:
            yield Issue(
                "overdue",
                f"Activity {row.number} ({row.timing}) is overdue: its planned "
                f"quarters have ended and it is reported {row.status_label.lower()}",
            )
    for row in kpis:
        if row.status == Status.RED:
            yield Issue(
                "kpi_behind",
                f"KPI {row.letter} is far behind: {written(row.value)} against "
                f"{written(row.expected)} expected by now ({row.scope})",
            )


def _highlights(kpis: tuple[KPIRow, ...]):
    for row in kpis:
        if row.share_of_target is not None and row.share_of_target >= 1:
            yield (
                f"KPI {row.letter}: {written(row.value)}, target "
                f"{written(row.target)} reached ({row.scope})"
            )
        elif row.status == Status.GREEN:
            yield (
                f"KPI {row.letter}: on track, {written(row.value)} against "
                f"{written(row.expected)} expected by now ({row.scope})"
            )


def _not_achieved(kpis: tuple[KPIRow, ...]):
    for row in kpis:
        if row.target is None:
            continue
        if row.value is None:
            yield f"KPI {row.letter}: nothing counted against {written(row.target)}"
        elif row.share_of_target is not None and row.share_of_target < 1:
            share = written(row.share_of_target * 100, 0)
            yield (
                f"KPI {row.letter}: {written(row.value)} of {written(row.target)} "
                f"({share}% of the target, {row.scope})"
            )
