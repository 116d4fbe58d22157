"""Reads of organisations for the pages.

The actions an organisation leads are reached through reverse relations by name
(`led_actions`), so this app imports nothing from `plans`.
"""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from empact.organisations.models import Organisation

# Page headings per kind, in the order the list shows them.
KIND_HEADINGS = [
    (Organisation.Kind.MEMBER_STATE, "Member States"),
    (Organisation.Kind.EU_AGENCY, "EU agencies and bodies"),
    (Organisation.Kind.THIRD_COUNTRY, "Third countries"),
    (Organisation.Kind.INTERNATIONAL, "International organisations"),
]
RELATED = ("led_actions__plan", "co_led_actions__plan")


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


def organisations_with_actions() -> QuerySet[Organisation]:
    """Organisations with the actions they lead and co-lead, and their plans."""
    return Organisation.objects.prefetch_related(*RELATED).order_by("name")


def organisations_by_kind() -> list[KindGroup]:
    """Every organisation, grouped by kind in a fixed order; empty kinds left out."""
    by_kind: dict[str, list[Organisation]] = {kind: [] for kind, _ in KIND_HEADINGS}
    for organisation in organisations_with_actions():
        by_kind.setdefault(organisation.kind, []).append(organisation)
    return [
        KindGroup(kind, heading, by_kind[kind])
        for kind, heading in KIND_HEADINGS
        if by_kind[kind]
    ]


def get_organisation(code: str) -> Organisation:
    """One organisation by code, with what it leads and drives; raises Http404."""
    organisations = organisations_with_actions().prefetch_related("driven_plans")
    return get_object_or_404(organisations, code=code)
