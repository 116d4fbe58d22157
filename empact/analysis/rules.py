"""Which data may be compared, and what one side may learn of the other.

Hits are computed only between data the rules allow to be compared (DESIGN.md §6):
  - two different contributors;
  - both datasets still held: not erased, and not past their review date;
  - both contributors may receive operational personal data from the analysis
    project: EU Member States, EU agencies and bodies, and third countries or
    international organisations with an operational agreement with Europol. A
    partner with only a strategic agreement (or a suspended one) receives no
    personal data, so its data is neither matched nor told of a hit.
Content: an H0 or H1 entity that hit is shown to the other contributor; an H2 or H3
entity only after its provider releases it.
"""

from datetime import date

from empact.organisations.models import Organisation

RELEASE_NEEDED = {"H2", "H3"}
_RECEIVES_PERSONAL_DATA = {
    Organisation.Kind.MEMBER_STATE,
    Organisation.Kind.EU_AGENCY,
}


def receives_personal_data(organisation: Organisation) -> bool:
    if organisation.kind in _RECEIVES_PERSONAL_DATA:
        return True
    return organisation.europol_status == Organisation.EuropolStatus.OPERATIONAL


def comparable(dataset, *, today: date) -> bool:
    """Whether this dataset takes part in a cross-match run today."""
    if dataset.erased_at is not None:
        return False
    if dataset.review_date < today:
        return False
    return receives_personal_data(dataset.contributor)


def needs_release(handling: str) -> bool:
    return handling in RELEASE_NEEDED
