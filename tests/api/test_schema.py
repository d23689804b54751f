"""The OpenAPI schema: the checked-in copy is what the code generates, and it is served with a
documentation page that loads nothing from another origin."""

from __future__ import annotations

import re
from pathlib import Path

from django.core.management import call_command
from django.test import Client

CHECKED_IN = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def test_the_checked_in_schema_is_what_the_code_generates(tmp_path):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(generated))
    assert generated.read_text() == CHECKED_IN.read_text(), (
        "docs/openapi.yaml differs from the API's code: generate it again (docs/api.md says "
        "how) and review the change"
    )


def test_the_schema_is_served_as_openapi_3_1(db):
    response = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"] == "3.1.0"
    assert "/api/v1/requests/{id}/approve/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


def test_the_documentation_page_loads_only_the_portals_own_files(db):
    response = Client().get("/api/v1/docs/")
    assert response.status_code == 200
    body = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    sources = re.findall(r'(?:src|href)="([^"]+)"', body)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert "<style" not in body
    assert not re.search(r"<script>(?!\s*</script>)", body), "no inline script"
    script = next(s for s in sources if "script" in s and "?" in s)
    assert Client().get(script).status_code == 200


def test_answers_outside_the_routes_are_json_too(db):
    missing = Client().get("/api/v1/nothing/here/")
    assert missing.status_code == 404 and missing.json()["code"] == "PRT-P004"
    nul = Client().get("/api/v1/links/?q=a%00b", HTTP_AUTHORIZATION="Bearer x")
    assert nul.status_code == 400 and nul.json()["code"] == "PRT-P002"
