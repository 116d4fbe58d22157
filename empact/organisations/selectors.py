"""Reads of organisations for the pages.

The actions an organisation leads are reached through reverse relations by name
(`led_actions`), so this app imports nothing from `plans`; they are narrowed by the
permission module to the plans the reader may see.
"""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from empact.accounts import permissions
from empact.organisations.models import Organisation

# Page headings per kind, in the order the list shows them.
KIND_HEADINGS = [
    (Organisation.Kind.MEMBER_STATE, "Member States"),
    (Organisation.Kind.EU_AGENCY, "EU agencies and bodies"),
    (Organisation.Kind.THIRD_COUNTRY, "Third countries"),
    (Organisation.Kind.INTERNATIONAL, "International organisations"),
]


@dataclass(frozen=True)
class KindGroup:
    kind: str
    heading: str
    organisations: list[Organisation]

    @property
    def shows_europol_status(self) -> bool:
        return self.kind in (
            Organisation.Kind.THIRD_COUNTRY,
            Organisation.Kind.INTERNATIONAL,
        )


def organisations_with_actions(*, actor) -> QuerySet[Organisation]:
    """Organisations with the actions they lead and co-lead in the plans `actor`
    may see, and those plans."""
    related = []
    for name in ("led_actions", "co_led_actions"):
        actions = Organisation._meta.get_field(name).related_model.objects
        visible = permissions.visible(actor, actions.select_related("plan"))
        related.append(Prefetch(name, queryset=visible))
    plans = Organisation._meta.get_field("driven_plans").related_model.objects
    related.append(Prefetch("driven_plans", queryset=permissions.visible(actor, plans)))
    organisations = Organisation.objects.prefetch_related(*related).order_by("name")
    return permissions.visible(actor, organisations)


def organisations_by_kind(*, actor) -> list[KindGroup]:
    """Every organisation, grouped by kind in a fixed order; empty kinds left out."""
    by_kind: dict[str, list[Organisation]] = {kind: [] for kind, _ in KIND_HEADINGS}
    for organisation in organisations_with_actions(actor=actor):
        by_kind.setdefault(organisation.kind, []).append(organisation)
    return [
        KindGroup(kind, heading, by_kind[kind])
        for kind, heading in KIND_HEADINGS
        if by_kind[kind]
    ]


def get_organisation(code: str, *, actor) -> Organisation:
    """One organisation by code, with what it leads and drives; raises Http404."""
    return get_object_or_404(organisations_with_actions(actor=actor), code=code)
