from django import forms
from django.utils.translation import gettext_lazy as _

CODE_HELP = _(
    "The 6-digit code your authenticator app shows now, or one of your recovery "
    "codes (like abcd-efgh-jkmn-pqrs)."
)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        help_text=CODE_HELP,
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


class EnrolForm(forms.Form):
    code = forms.RegexField(
        label=_("Code from the app"),
        help_text=_("The 6 digits your app shows now for empact."),
        regex=r"^\s*\d{3}\s?\d{3}\s*$",
        error_messages={"invalid": _("Enter the 6 digits the app shows, e.g. 123456.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": r"[0-9 ]*",
            }
        ),
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].replace(" ", "").strip()


class ReauthenticateForm(forms.Form):
    """The password and, for a person who has a second factor, a current code."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=_("Current code"),
        help_text=CODE_HELP,
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )

    def __init__(self, *args, form_id: str, needs_code: bool, **kwargs):
        # Two of these forms share the Security page: ids differ, field names do
        # not, so that django-axes masks `password` and `code` in what it stores.
        super().__init__(*args, auto_id=f"id_{form_id}_%s", **kwargs)
        if not needs_code:
            del self.fields["code"]
