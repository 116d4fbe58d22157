"""The Reports page's one form: which report, for what, in which format and marking."""

from django import forms

from empact.reports import content
from empact.reports.markings import available_markings
from empact.reports.render import FORMATS

KIND_CHOICES = [
    (content.LIGHT, "Light progress report (one reporting period)"),
    (content.COMPREHENSIVE, "Comprehensive results report (a year, or the plan)"),
    (content.FACT_SHEET, "Annual fact sheet (one year)"),
]
FORMAT_LABELS = {
    "html": "HTML (web page)",
    "pdf": "PDF (A4, to print or send)",
    "docx": "Word (DOCX, to edit)",
    "xlsx": "Excel data annex (XLSX)",
}


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label="Report", choices=KIND_CHOICES)
    period = forms.ChoiceField(label="Reporting period (light report)", required=False)
    year = forms.TypedChoiceField(
        label="Year (fact sheet; comprehensive report: empty for the whole plan)",
        required=False,
        coerce=int,
        empty_value=None,
    )
    format = forms.ChoiceField(
        label="Format", choices=[(f, FORMAT_LABELS[f]) for f in FORMATS]
    )
    marking = forms.ChoiceField(label="Marking on every page")
    draft = forms.BooleanField(
        label="Draft: count submitted values too (every page is marked DRAFT)",
        required=False,
    )

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [("", "—")] + [
            (p.code, f"{p.code} ({p.get_state_display().lower()})")
            for p in plan.periods.all()
        ]
        self.fields["year"].choices = [("", "— (whole plan period)")] + [
            (str(y), str(y)) for y in plan.years
        ]
        self.fields["marking"].choices = [
            (m.code, m.label) for m in available_markings()
        ]
