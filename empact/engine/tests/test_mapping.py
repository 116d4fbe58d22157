import pytest

from empact.engine.errors import InputError
from empact.engine.mapping import load_mapping, parse_mapping


def make_spec(**entity):
    person = {"schema": "Person", "keys": ["id"], "properties": {"name": "name"}}
    person.update(entity)
    return {"entities": {"person": person}}


def test_a_mapping_lists_the_columns_it_reads():
    mapping = parse_mapping(make_spec(properties={"name": "name", "phone": ["phone"]}))
    assert mapping.columns() == {"id", "name", "phone"}
    assert mapping.entities[0].schema == "Person"


def test_the_version_changes_with_the_mapping_only():
    a = parse_mapping(make_spec())
    assert parse_mapping(make_spec()).version == a.version
    assert parse_mapping(make_spec(keys=["other"])).version != a.version


def test_every_mistake_in_a_mapping_is_named():
    spec = {
        "entities": {
            "person": {
                "schema": "Person",
                "properties": {"shoeSize": "s", "name": {"formula": "x"}},
                "role": {"literal": "boss"},
            },
            "car": {"schema": "Spaceship", "keys": ["plate"]},
            "passport": {
                "schema": "Passport",
                "keys": ["no"],
                "properties": {"holder": {"entity": "nobody"}},
            },
        },
        "colour": "red",
    }
    with pytest.raises(InputError) as caught:
        parse_mapping(spec, source="people.yaml")
    assert caught.value.reason.split("; ") == [
        "entities.person.keys: name the column(s) that identify the entity",
        "entities.person.properties: Person has no property 'shoeSize'",
        "entities.person.properties.name: expected a column, [columns], "
        "{literal: ...} or {entity: ...}",
        "entities.person.role: 'boss' is not one of suspect, victim, witness, other",
        "entities.car.schema: 'Spaceship' is not an FtM schema",
        "entities.passport.properties.holder: no entity 'nobody' in this mapping",
        "unknown setting 'colour'",
    ]


def test_a_reference_must_point_to_the_right_schema():
    spec = {
        "entities": {
            "account": {"schema": "BankAccount", "keys": ["iban"]},
            "passport": {
                "schema": "Passport",
                "keys": ["no"],
                "properties": {"holder": {"entity": "account"}},
            },
        }
    }
    with pytest.raises(InputError, match="holder must point to a LegalEntity"):
        parse_mapping(spec)


def test_a_mapping_file_that_is_not_yaml_is_located(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("entities:\n  person: [\n")
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    assert caught.value.line == 3
    assert caught.value.reason.startswith("not valid YAML")
