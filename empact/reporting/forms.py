"""Input parsing for the reporting pages. Numbers stay text here: the services
parse them and name the KPI in every problem, the same for pages, API and uploads."""

from django import forms

from empact.plans.models import KPI, Plan
from empact.reporting import services
from empact.reporting.models import ActivityStatus
from empact.reporting.selectors import WEIGHTED_KINDS, Report, plain_decimal

TEXT = {"max_length": 10_000, "required": False, "strip": True}


class PeriodForm(forms.Form):
    year = forms.TypedChoiceField(coerce=int)
    half = forms.TypedChoiceField(
        coerce=int, choices=[(1, "H1 (January to June)"), (2, "H2 (July to December)")]
    )
    deadline = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The last day participants can submit contributions.",
    )

    def __init__(self, *args, plan: Plan, periods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in plan.years]
        taken = {(p.year, p.half) for p in periods}
        free = [(y, h) for y in plan.years for h in (1, 2) if (y, h) not in taken]
        if free:  # suggest the first half-year of the plan that has no period
            self.initial.setdefault("year", free[0][0])
            self.initial.setdefault("half", free[0][1])


class PeriodStepForm(forms.Form):
    step = forms.ChoiceField(choices=[(s, s) for s in ("open", "close", "lock")])
    confirm = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        if data.get("step") == "lock" and not data.get("confirm"):
            self.add_error(
                "confirm",
                "Locking is final: tick the box to confirm that you mean to lock.",
            )
        return data


class StepForm(forms.Form):
    step = forms.ChoiceField(choices=[(s, s) for s in ("submit", "accept", "return")])
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(widget=forms.Textarea, **TEXT)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    reason = forms.CharField(widget=forms.Textarea, **TEXT)


class ReportForm(forms.Form):
    """A value, weight and evidence per KPI, a status and comment per activity, and
    the narrative; the fields are named by KPI and activity id."""

    def __init__(self, *args, report: Report, **kwargs):
        super().__init__(*args, **kwargs)
        self.report = report
        for kpi in report.kpis:
            self._add_kpi_fields(kpi, report.values.get(kpi.pk))
        for activity in report.activities:
            current = report.statuses.get(activity.pk)
            self.fields[f"activity-{activity.pk}-status"] = forms.ChoiceField(
                label=f"Status of activity {activity.number}",
                choices=[("", "Not reported"), *ActivityStatus.Status.choices],
                required=False,
                initial=current.status if current else "",
            )
            self.fields[f"activity-{activity.pk}-comment"] = forms.CharField(
                label=f"Comment on activity {activity.number}",
                initial=current.comment if current else "",
                widget=forms.Textarea(attrs={"rows": 2}),
                **TEXT,
            )
        self.fields["narrative"] = forms.CharField(
            widget=forms.Textarea(attrs={"rows": 8}),
            initial=report.narrative,
            max_length=50_000,
            required=False,
            strip=True,
            help_text="What was done in this period, what worked and what did not.",
        )

    def _add_kpi_fields(self, kpi: KPI, current) -> None:
        self.fields[f"kpi-{kpi.pk}-value"] = forms.CharField(
            label=f"Value of KPI {kpi.letter}",
            max_length=40,
            required=False,
            initial=plain_decimal(current.value) if current else "",
            widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 10}),
        )
        if kpi.kind in WEIGHTED_KINDS:
            self.fields[f"kpi-{kpi.pk}-weight"] = forms.CharField(
                label=f"Weight of KPI {kpi.letter}",
                max_length=40,
                required=False,
                initial=plain_decimal(current.weight) if current else "1",
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
            )
        self.fields[f"kpi-{kpi.pk}-evidence"] = forms.CharField(
            label=f"Evidence for KPI {kpi.letter}",
            initial=current.evidence if current else "",
            widget=forms.Textarea(attrs={"rows": 2}),
            **TEXT,
        )

    def kpi_rows(self) -> list[tuple]:
        """(kpi, value field, weight field or None, evidence field) per KPI."""
        return [
            (
                kpi,
                self[f"kpi-{kpi.pk}-value"],
                self[f"kpi-{kpi.pk}-weight"] if kpi.kind in WEIGHTED_KINDS else None,
                self[f"kpi-{kpi.pk}-evidence"],
            )
            for kpi in self.report.kpis
        ]

    def activity_rows(self) -> list[tuple]:
        """(activity, status field, comment field) per activity."""
        return [
            (a, self[f"activity-{a.pk}-status"], self[f"activity-{a.pk}-comment"])
            for a in self.report.activities
        ]

    def value_inputs(self) -> dict[int, services.ValueInput]:
        data = self.cleaned_data
        return {
            kpi.pk: services.ValueInput(
                value=data[f"kpi-{kpi.pk}-value"],
                evidence=data[f"kpi-{kpi.pk}-evidence"],
                weight=data.get(f"kpi-{kpi.pk}-weight") or "1",
            )
            for kpi in self.report.kpis
        }

    def status_inputs(self) -> dict[int, services.StatusInput]:
        data = self.cleaned_data
        return {
            a.pk: services.StatusInput(
                status=data[f"activity-{a.pk}-status"],
                comment=data[f"activity-{a.pk}-comment"],
            )
            for a in self.report.activities
        }


class ContributionForm(ReportForm):
    """The editor's form while the contribution can be edited."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class AmendmentForm(ReportForm):
    """A change asked for after the period is locked: what to change, and why."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="amend", **kwargs)
        self.fields["reason"] = forms.CharField(
            label="Why the change is needed",
            widget=forms.Textarea(attrs={"rows": 3}),
            max_length=10_000,
            strip=True,
            help_text="The driver reads this to decide.",
        )

    def clean(self):
        data = super().clean()
        if not self.errors and not self.proposed():
            raise forms.ValidationError(
                "The amendment changes nothing: change a value, a status or the "
                "narrative, then send it.",
                code="no_change",
            )
        return data

    def proposed(self) -> dict:
        """The changed entries only, as AmendmentRequest.proposed stores them."""
        report, proposed = self.report, {}
        values = {
            str(pk): vars(given)
            for pk, given in self.value_inputs().items()
            if given.value and given != _current_value(report, pk)
        }
        statuses = {
            str(pk): vars(given)
            for pk, given in self.status_inputs().items()
            if given.status and given != _current_status(report, pk)
        }
        if values:
            proposed["values"] = values
        if statuses:
            proposed["statuses"] = statuses
        if self.cleaned_data["narrative"] != report.narrative.strip():
            proposed["narrative"] = self.cleaned_data["narrative"]
        return proposed


def _current_value(report: Report, kpi_id: int) -> services.ValueInput | None:
    current = report.values.get(kpi_id)
    if current is None:
        return None
    return services.ValueInput(
        value=plain_decimal(current.value),
        evidence=current.evidence,
        weight=plain_decimal(current.weight),
    )


def _current_status(report: Report, activity_id: int) -> services.StatusInput | None:
    current = report.statuses.get(activity_id)
    if current is None:
        return None
    return services.StatusInput(status=current.status, comment=current.comment)
