from django import forms
from django.utils import timezone

from empact.analysis.models import Dataset, Handling
from empact.organisations.models import Organisation

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(
        help_text="CSV or XLSX with a mapping file, or followthemoney JSON lines"
    )
    mapping = forms.FileField(required=False, help_text="YAML; not for JSON lines")
    contributor = forms.ModelChoiceField(
        queryset=Organisation.objects.all(), to_field_name="code"
    )
    handling = forms.ChoiceField(choices=Handling.choices)
    restrictions = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    purpose = forms.CharField(max_length=200, help_text="case or OA reference")
    collected_on = forms.DateField(
        initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    source_code = forms.ChoiceField(
        choices=[(c, c) for c in "ABCX"], initial="X", label="Source evaluation"
    )
    info_code = forms.TypedChoiceField(
        choices=[(i, i) for i in (1, 2, 3, 4)],
        coerce=int,
        initial=4,
        label="Information evaluation",
    )
    role = forms.ChoiceField(choices=Dataset.Role.choices, initial="other")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"the file is {upload.size:,} bytes; the most is {MAX_UPLOAD_BYTES:,}"
            )
        return upload


class ReasonForm(forms.Form):
    why = forms.CharField(
        max_length=500,
        label="Reason",
        help_text="the case or OA reference; recorded in the audit log",
    )


class DecisionForm(forms.Form):
    grant = forms.TypedChoiceField(
        choices=[("yes", "Release"), ("no", "Refuse")],
        coerce=lambda v: v == "yes",
    )
    reason = forms.CharField(required=False, max_length=1000)


class KeepForm(forms.Form):
    until = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(max_length=1000)


class TightenForm(forms.Form):
    code = forms.ChoiceField(choices=Handling.choices, label="New handling code")
    reason = forms.CharField(
        max_length=1000,
        help_text="the provider's request or the case reference; recorded in the "
        "audit log",
    )
