"""The JSON Schema files under shared/schemas/ are the catalog, exported; they must not drift."""

import json

import jsonschema
import pytest

from smartpay_shared.events import CATALOG
from smartpay_shared.events.schemas import SCHEMA_DIR, file_name, render_all


def test_schema_files_match_the_catalog():
    expected = render_all()
    on_disk = {p.name: p.read_text() for p in SCHEMA_DIR.glob("*.json")}
    assert set(on_disk) == set(expected), "run `make schemas` and commit shared/schemas/"
    for name, text in expected.items():
        assert on_disk[name] == text, f"{name} drifted from the catalog: run `make schemas`"


def test_every_catalog_entry_has_a_file():
    assert {file_name(s) for s in CATALOG.values()} == {p.name for p in SCHEMA_DIR.glob("*.json")}


def test_an_envelope_validates_against_its_exported_schema(envelope):
    schema = json.loads((SCHEMA_DIR / "payment.requested.v1.json").read_text())
    jsonschema.validate(envelope().to_detail(), schema)
    bad = envelope().to_detail()
    bad["data"]["amount"] = 0
    with pytest.raises(jsonschema.ValidationError, match="minimum|greater"):
        jsonschema.validate(bad, schema)
