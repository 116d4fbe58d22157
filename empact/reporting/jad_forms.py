"""Input parsing for the Joint Action Day pages. The services check the rules
(dates in order, OAs of the plan, who may link which OA) and name every problem."""

import re

from django import forms

from empact.organisations.models import Organisation
from empact.plans.models import KPI, Plan
from empact.reporting.jad_selectors import PLAIN_MEASURES
from empact.reporting.models import JADMeasure, JADResult

DATE = forms.DateInput(attrs={"type": "date"})
COUNT = {"min_value": 0, "max_value": 2_000_000_000, "required": False}
SEIZURE_ROWS_FREE = 3  # empty seizure rows offered beside the kinds already recorded


class PlanJADForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="For example: JAD ARKTOS 2025.")
    starts = forms.DateField(widget=DATE, label="First day")
    ends = forms.DateField(widget=DATE, label="Last day")
    actions = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        label="Operational actions",
        help_text="The OAs the JAD serves: its results count towards their KPIs "
        "that declare a JAD measure.",
        error_messages={"required": "Link the JAD to at least one operational action."},
    )
    lead = forms.ModelChoiceField(
        queryset=Organisation.objects.order_by("code"),
        label="Lead organisation",
    )
    participants = forms.CharField(
        label="Participating organisations",
        required=False,
        max_length=2000,
        help_text="Organisation codes separated by spaces or commas, e.g. "
        "FR ES EUROPOL. The lead takes part anyway.",
    )

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actions"].queryset = plan.actions.order_by("position", "ref")
        self.fields["actions"].label_from_instance = lambda a: (
            f"OA {a.ref} {a.short_title}"
        )
        self.fields["lead"].label_from_instance = lambda o: f"{o.code} · {o.name}"

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts"), data.get("ends")
        if starts and ends and ends < starts:
            self.add_error(
                "ends",
                forms.ValidationError(
                    "The JAD ends (%(ends)s) before it starts (%(starts)s).",
                    code="order",
                    params={"ends": ends, "starts": starts},
                ),
            )
        return data

    def clean_participants(self) -> list[Organisation]:
        codes = [
            c.upper()
            for c in re.split(r"[\s,;]+", self.cleaned_data["participants"])
            if c
        ]
        found = {o.code: o for o in Organisation.objects.filter(code__in=codes)}
        unknown = sorted({c for c in codes if c not in found})
        if unknown:
            raise forms.ValidationError(
                "No organisation has the code %(codes)s; the list of organisations "
                "shows every code.",
                code="unknown",
                params={"codes": ", ".join(unknown)},
            )
        return [found[c] for c in dict.fromkeys(codes)]


class JADResultsForm(forms.Form):
    """One organisation's results: a count per plain measure, and seizures as
    (kind, count) rows. An empty box leaves a recorded figure as it is."""

    def __init__(self, *args, results: list[JADResult], **kwargs):
        super().__init__(*args, **kwargs)
        current = {(r.measure, r.seizure_kind): r.value for r in results}
        for measure in PLAIN_MEASURES:
            self.fields[measure.value] = forms.IntegerField(
                label=measure.label, initial=current.get((measure.value, "")), **COUNT
            )
        kinds = sorted(k for m, k in current if m == JADMeasure.SEIZURES)
        self.seizure_rows = len(kinds) + SEIZURE_ROWS_FREE
        for i in range(self.seizure_rows):
            kind = kinds[i] if i < len(kinds) else ""
            self.fields[f"seizure-{i}-kind"] = forms.CharField(
                label=f"Seizure {i + 1}: what was seized",
                required=False,
                max_length=60,
                initial=kind,
            )
            self.fields[f"seizure-{i}-count"] = forms.IntegerField(
                label=f"Seizure {i + 1}: how many",
                initial=current.get((JADMeasure.SEIZURES, kind)) if kind else None,
                **COUNT,
            )

    def plain_fields(self) -> list:
        return [self[m.value] for m in PLAIN_MEASURES]

    def seizure_fields(self) -> list[tuple]:
        """(kind field, count field) per seizure row."""
        return [
            (self[f"seizure-{i}-kind"], self[f"seizure-{i}-count"])
            for i in range(self.seizure_rows)
        ]

    def clean(self):
        data = super().clean()
        for i in range(self.seizure_rows):
            kind, count = data.get(f"seizure-{i}-kind"), data.get(f"seizure-{i}-count")
            if kind and count is None and f"seizure-{i}-count" not in self.errors:
                self.add_error(f"seizure-{i}-count", "Give how many were seized.")
            if count is not None and not kind:
                self.add_error(f"seizure-{i}-kind", "Say what was seized.")
        return data

    def results(self) -> list[tuple[str, str, int]]:
        """(measure, seizure kind, value) for every box filled in."""
        data = self.cleaned_data
        found = [
            (m.value, "", data[m.value])
            for m in PLAIN_MEASURES
            if data.get(m.value) is not None
        ]
        for i in range(self.seizure_rows):
            count = data.get(f"seizure-{i}-count")
            if count is not None:
                found.append((JADMeasure.SEIZURES, data[f"seizure-{i}-kind"], count))
        return found


class JADMappingForm(forms.Form):
    kpi = forms.TypedChoiceField(coerce=int, label="KPI")
    measure = forms.ChoiceField(
        choices=JADMeasure.choices, label="counts the JAD results of"
    )
    seizure_kind = forms.CharField(
        label="Kind of seizure",
        required=False,
        max_length=60,
        help_text="For seizures only: the kind the KPI counts, as participants write "
        "it (e.g. boats, cash).",
    )

    def __init__(self, *args, kpis: list[KPI], **kwargs):
        super().__init__(*args, **kwargs)
        self.kpis = {k.pk: k for k in kpis}
        self.fields["kpi"].choices = [
            (k.pk, f"OA {k.action.ref} KPI {k.letter}: {k.text[:80]}") for k in kpis
        ]

    def chosen_kpi(self) -> KPI:
        return self.kpis[self.cleaned_data["kpi"]]
