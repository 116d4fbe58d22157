from django import forms

from empact.accounts.models import Participation, RoleAssignment, User
from empact.organisations.models import Organisation

Role = RoleAssignment.Role


class ParticipationForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.order_by("name")
    )
    action = forms.ModelChoiceField(queryset=None, label="Operational action")
    role = forms.ChoiceField(choices=Participation.Role.choices)
    since = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].queryset = plan.actions.order_by("position")
        self.fields["action"].label_from_instance = lambda a: (
            f"OA {a.ref} {a.short_title}"
        )


class PlanRoleForm(forms.Form):
    """A role in one plan: driver or co-driver, or a role in one of its OAs."""

    user = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True)
        .select_related("organisation")
        .order_by("username")
    )
    role = forms.ChoiceField(
        choices=[
            (r.value, r.label)
            for r in (*RoleAssignment.PLAN_ROLES, *RoleAssignment.ACTION_ROLES)
        ]
    )
    action = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Operational action",
        help_text="Needed for action leader, co-leader and participant contact.",
    )

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].queryset = plan.actions.order_by("position")
        self.fields["action"].label_from_instance = lambda a: (
            f"OA {a.ref} {a.short_title}"
        )

    def clean(self):
        data = super().clean()
        role, action = data.get("role"), data.get("action")
        if role in RoleAssignment.ACTION_ROLES and action is None:
            self.add_error("action", "Choose the operational action this role is for.")
        if role in RoleAssignment.PLAN_ROLES and action is not None:
            self.add_error(
                "action",
                "A driver or co-driver holds the whole plan; "
                "leave the operational action empty.",
            )
        return data
