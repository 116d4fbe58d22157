from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from empact.audit.models import AuditEntry
from empact.audit.selectors import LogFilter

ANY = [("", _("any"))]


class DateInput(forms.DateInput):
    input_type = "date"


class LogFilterForm(forms.Form):
    """The auditor's search, read from the query string; every field is optional."""

    actor = forms.CharField(
        label=_("User name"), required=False, max_length=200, strip=True
    )
    organisation = forms.CharField(
        label=_("Organisation code"), required=False, max_length=20
    )
    action = forms.CharField(
        label=_("Action starts with"),
        required=False,
        max_length=100,
        validators=[
            RegexValidator(
                r"^[a-z0-9_.]*$",
                _("Use lower-case letters, digits, _ and . as in plan.imported."),
                code="invalid",
            )
        ],
    )
    operation = forms.ChoiceField(
        label=_("Operation"),
        required=False,
        choices=ANY + AuditEntry.Operation.choices,
    )
    object_type = forms.CharField(
        label=_("Object type"), required=False, max_length=100
    )
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=100)
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=ANY + AuditEntry.Outcome.choices
    )
    date_from = forms.DateField(
        label=_("From (UTC date)"), required=False, widget=DateInput
    )
    date_to = forms.DateField(
        label=_("To (UTC date, included)"), required=False, widget=DateInput
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=10**9)

    def clean_organisation(self) -> str:
        return self.cleaned_data["organisation"].upper()

    def clean_object_type(self) -> str:
        return self.cleaned_data["object_type"].lower()

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error(
                "date_to",
                forms.ValidationError(
                    _("The end date %(end)s is before the start date %(start)s."),
                    code="date_order",
                    params={"start": start.isoformat(), "end": end.isoformat()},
                ),
            )
        return data

    def log_filter(self) -> LogFilter:
        data = self.cleaned_data
        return LogFilter(**{k: v for k, v in data.items() if k != "page"})

    def page_number(self) -> int:
        return self.cleaned_data.get("page") or 1
