import pytest

from empact.errors import UserError
from empact.reports.markings import (
    LIMITE,
    RESTREINT_UE,
    available_markings,
    marking_for,
)


def test_limite_is_always_available_and_is_not_a_classification(settings):
    settings.EMPACT_EUCI_ACCREDITATION = ""

    assert available_markings() == [LIMITE]
    assert marking_for("LIMITE") == LIMITE
    assert LIMITE.is_classification is False


def test_a_classification_is_refused_without_a_recorded_accreditation(settings):
    settings.EMPACT_EUCI_ACCREDITATION = ""

    for given in ("restreint-ue", "RESTREINT UE/EU RESTRICTED", "EU Restricted"):
        with pytest.raises(UserError) as refused:
            marking_for(given)
        assert "no accreditation recorded" in str(refused.value)
        assert "EMPACT_EUCI_ACCREDITATION is not set" in str(refused.value)


def test_restreint_ue_is_offered_once_an_accreditation_is_recorded(settings):
    settings.EMPACT_EUCI_ACCREDITATION = "SAA decision 2026/17"

    chosen = marking_for("restreint-ue")

    assert [m.code for m in available_markings()] == ["limite", "restreint-ue"]
    assert chosen.label == RESTREINT_UE.label == "RESTREINT UE/EU RESTRICTED"
    assert chosen.is_classification
    assert chosen.accreditation == "SAA decision 2026/17"


def test_confidentiel_ue_and_above_are_refused_even_with_an_accreditation(settings):
    settings.EMPACT_EUCI_ACCREDITATION = "SAA decision 2026/17"

    for given in ("confidentiel-ue", "SECRET UE/EU SECRET", "tres-secret-ue"):
        with pytest.raises(UserError, match="cannot hold information classified"):
            marking_for(given)


def test_an_unknown_marking_names_the_ones_there_are(settings):
    settings.EMPACT_EUCI_ACCREDITATION = ""

    with pytest.raises(UserError, match="no such marking; choose one of limite$"):
        marking_for("public")
