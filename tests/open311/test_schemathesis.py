"""Property-based run of the whole API against its own OpenAPI document (schemathesis), with a valid key:
no 5xx and no response that breaks the document."""

from __future__ import annotations

import json

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.open311.conftest import api_client, new_request

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_api_conforms_to_its_openapi_document(app, cities):
    client = api_client(app, "alpha.localhost")
    new_request(client, cities["alpha"].key)  # something for the searches to find
    doc = json.loads(client.get("/open311/v2/openapi.json").data)
    schema = schemathesis.openapi.from_dict(doc)
    schema.app = app
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 11
    assert doc["paths"]["/open311/v2/request/{service_request_id}.{format}"]["get"]["deprecated"] is True

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            # A valid key in the query string: it wins over whatever key the generator put in the body.
            case.call_and_validate(base_url="http://alpha.localhost", params={"api_key": cities["alpha"].key},
                                   checks=CHECKS)

        run()


def test_openapi_document_is_stable_and_complete(alpha):
    response = alpha.get("/open311/v2/openapi.json")
    assert response.status_code == 200
    doc = json.loads(response.data)
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for path in ("/open311/v2/discovery.{format}", "/open311/discovery.{format}", "/open311/v2/services.{format}",
                 "/open311/v2/services/{service_code}.{format}", "/open311/v2/requests.{format}",
                 "/open311/v2/requests/{service_request_id}.{format}", "/open311/v2/tokens/{token}.{format}",
                 "/open311/v2/servicerequestupdates.{format}"):
        assert path in paths
    assert set(paths["/open311/v2/requests.{format}"]) == {"get", "post"}
    assert doc["servers"][0]["url"] == "http://alpha.localhost"
