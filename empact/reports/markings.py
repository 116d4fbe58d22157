"""The marking printed on every page of a report.

LIMITE is a distribution marking, not a security classification (R-EUCI-5): a
document so marked may go to national administrations but not to the public, and
it is always available. A classification is another matter: every system that
holds EU classified information must be accredited, and the accreditation sets
the highest level it may hold (Council Decision 2013/488/EU, Art. 10(4); R-EUCI-1).
Printing "EU RESTRICTED" on a PDF does not make the platform fit to hold it, so
RESTREINT UE/EU RESTRICTED is offered only when the operator has recorded the
accreditation in EMPACT_EUCI_ACCREDITATION. CONFIDENTIEL UE and above need
TEMPEST measures and approved cryptography, which empact does not provide: they
are refused whatever the settings say (R-EUCI-2).
"""

from dataclasses import dataclass

from django.conf import settings

from empact.errors import UserError


@dataclass(frozen=True)
class Marking:
    code: str  # as given on the command line and in forms: limite, restreint-ue
    label: str  # printed in each page's header and footer
    is_classification: bool
    accreditation: str = ""  # the operator's record, for a classification


LIMITE = Marking("limite", "LIMITE", is_classification=False)
RESTREINT_UE = Marking(
    "restreint-ue", "RESTREINT UE/EU RESTRICTED", is_classification=True
)
# Levels empact refuses outright, whatever the settings (R-EUCI-2).
BEYOND_SCOPE = {
    "confidentiel-ue": "CONFIDENTIEL UE/EU CONFIDENTIAL",
    "secret-ue": "SECRET UE/EU SECRET",
    "tres-secret-ue": "TRÈS SECRET UE/EU TOP SECRET",
}
_ALIASES = {
    "limite": LIMITE.code,
    "restreint-ue": RESTREINT_UE.code,
    "restreint ue": RESTREINT_UE.code,
    "eu restricted": RESTREINT_UE.code,
    "restreint ue/eu restricted": RESTREINT_UE.code,
}


def recorded_accreditation() -> str:
    """The operator's accreditation record from the settings; "" when none."""
    return (getattr(settings, "EMPACT_EUCI_ACCREDITATION", "") or "").strip()


def available_markings(*, accreditation: str | None = None) -> list[Marking]:
    """The markings a report may carry on this installation, LIMITE first."""
    record = recorded_accreditation() if accreditation is None else accreditation
    if not record:
        return [LIMITE]
    return [LIMITE, _accredited(record)]


def marking_for(code: str, *, accreditation: str | None = None) -> Marking:
    """The marking named `code` (limite, restreint-ue, or its label); UserError
    for a classification this installation is not accredited for."""
    given = " ".join(code.strip().lower().split())
    wanted = _ALIASES.get(given, given)
    if wanted in BEYOND_SCOPE or given in {v.lower() for v in BEYOND_SCOPE.values()}:
        raise UserError(
            f"marking {code!r}: empact cannot hold information classified "
            "CONFIDENTIEL UE or above (it needs TEMPEST measures and approved "
            "cryptography); choose LIMITE"
        )
    for marking in available_markings(accreditation=accreditation):
        if marking.code == wanted:
            return marking
    if wanted == RESTREINT_UE.code:
        raise UserError(
            f"marking {code!r}: RESTREINT UE/EU RESTRICTED is a classification, and "
            "this installation has no accreditation recorded to hold classified "
            "information (EMPACT_EUCI_ACCREDITATION is not set); choose LIMITE"
        )
    names = ", ".join(m.code for m in available_markings(accreditation=accreditation))
    raise UserError(f"marking {code!r}: no such marking; choose one of {names}")


def _accredited(record: str) -> Marking:
    return Marking(
        RESTREINT_UE.code,
        RESTREINT_UE.label,
        is_classification=True,
        accreditation=record,
    )
