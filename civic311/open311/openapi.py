"""The OpenAPI 3 document of the whole Open311 API, served at /open311/v2/openapi.json."""

from __future__ import annotations

from civic311.open311.params import MAX_PAGE_SIZE

FORMAT = {"name": "format", "in": "path", "required": True, "schema": {"type": "string", "enum": ["json", "xml"]},
          "description": "xml (mandatory in the spec) or json."}
JURISDICTION = {"name": "jurisdiction_id", "in": "query", "schema": {"type": "string"},
                "description": "The city's slug or domain. Required on the platform host; on a city's own host "
                               "optional, and if given it must name that city."}
API_KEY = {"name": "api_key", "in": "query", "schema": {"type": "string"},
           "description": "Required for POST (also accepted as `key`, in the query string or the form body)."}


def _q(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "schema": schema or {"type": "string"}, "description": description}


def _nullable(kind: str, **extra) -> dict:
    return {"type": kind, "nullable": True, **extra}


def _errors(*codes: int) -> dict:
    text = {400: "Bad input (error body)", 403: "Missing or invalid api_key", 404: "No such city or resource",
            405: "Method not allowed", 413: "Upload too large", 429: "Rate limit reached (see Retry-After)"}
    return {str(c): {"description": text[c], "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Errors"}},
        "text/xml": {"schema": {"type": "string"}}}} for c in codes}


def _ok(schema_ref: str, description: str) -> dict:
    return {"200": {"description": description, "content": {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}},
        "text/xml": {"schema": {"type": "string"}}}}}


def _op(op_id: str, summary: str, ok: tuple[str, str], parameters: list, errors: tuple[int, ...], **extra) -> dict:
    return {"operationId": op_id, "summary": summary, "parameters": [FORMAT, JURISDICTION, *parameters],
            "responses": {**_ok(*ok), **_errors(*errors)}, **extra}


SEARCH_PARAMS = [
    _q("service_request_id", "Comma-separated ids; overrides every other filter."),
    _q("service_code", "Comma-separated service codes."),
    _q("start_date", "ISO 8601; on requested_datetime. Default window: the last 90 days.",
       {"type": "string", "format": "date-time"}),
    _q("end_date", "ISO 8601; on requested_datetime.", {"type": "string", "format": "date-time"}),
    _q("status", "open, closed, or both comma-separated."),
    _q("page", "Extension: page number, base 1.", {"type": "integer", "minimum": 1}),
    _q("page_size", f"Extension: rows per page, 1 to {MAX_PAGE_SIZE} (default {MAX_PAGE_SIZE}).",
       {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}),
    _q("limit", f"Extension: at most {MAX_PAGE_SIZE}; with offset, wins over page.",
       {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}),
    _q("offset", "Extension: rows to skip, base 0.", {"type": "integer", "minimum": 0}),
    _q("after", "Extension: keyset cursor from the Link header (rel=next) of a full page; cheap at any depth.",
       {"type": "string"}),
    _q("updated_after", "Extension: ISO 8601 lower bound on updated_datetime.",
       {"type": "string", "format": "date-time"}),
    _q("updated_before", "Extension: ISO 8601 upper bound on updated_datetime.",
       {"type": "string", "format": "date-time"}),
    _q("bbox", "Extension: minLng,minLat,maxLng,maxLat."),
    _q("q", "Extension: text search."),
    _q("extensions", "Extension: true adds extended_attributes, notes and detailed_status.",
       {"type": "string", "enum": ["true", "false"]}),
]

CREATE_FIELDS = {
    "api_key": {"type": "string"},
    "service_code": {"type": "string"},
    "lat": {"type": "number"},
    "long": {"type": "number"},
    "address_string": {"type": "string"},
    "address_id": {"type": "string"},
    "email": {"type": "string"},
    "device_id": {"type": "string"},
    "account_id": {"type": "string"},
    "first_name": {"type": "string"},
    "last_name": {"type": "string"},
    "phone": {"type": "string"},
    "description": {"type": "string", "maxLength": 4000},
    "media_url": {"type": "string"},
}

SCHEMAS = {
    "Errors": {"type": "array", "items": {"type": "object", "required": ["code", "description"], "properties": {
        "code": {"type": "integer"}, "description": {"type": "string"}}}},
    "Discovery": {"type": "object", "required": ["changeset", "contact", "key_service", "endpoints"], "properties": {
        "changeset": {"type": "string"}, "contact": {"type": "string"}, "key_service": {"type": "string"},
        "endpoints": {"type": "array", "items": {"type": "object", "required": [
            "specification", "url", "changeset", "type", "formats"], "properties": {
            "specification": {"type": "string"}, "url": {"type": "string"}, "changeset": {"type": "string"},
            "type": {"type": "string", "enum": ["production", "test"]},
            "formats": {"type": "array", "items": {"type": "string"}}}}},
        "extensions": {"type": "array", "items": {"type": "object"}}}},
    "Services": {"type": "array", "items": {"type": "object", "required": [
        "service_code", "service_name", "description", "metadata", "type", "keywords", "group"], "properties": {
        "service_code": {"type": "string"}, "service_name": {"type": "string"}, "description": {"type": "string"},
        "metadata": {"type": "boolean"}, "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
        "keywords": {"type": "string"}, "group": {"type": "string"},
        "groups": {"type": "array", "items": {"type": "string"}}}}},
    "ServiceDefinition": {"type": "object", "required": ["service_code", "attributes"], "properties": {
        "service_code": {"type": "string"},
        "attributes": {"type": "array", "items": {"type": "object", "required": [
            "variable", "code", "datatype", "required", "datatype_description", "order", "description"],
            "properties": {
                "variable": {"type": "boolean"}, "code": {"type": "string"},
                "datatype": {"type": "string", "enum": ["string", "number", "datetime", "text", "singlevaluelist",
                                                        "multivaluelist"]},
                "required": {"type": "boolean"}, "datatype_description": {"type": "string"},
                "order": {"type": "integer", "minimum": 1}, "description": {"type": "string"},
                "values": {"type": "array", "items": {"type": "object", "required": ["key", "name"], "properties": {
                    "key": {"type": "string"}, "name": {"type": "string"}}}}}}}}},
    "CreateAnswer": {"type": "array", "items": {"type": "object", "properties": {
        "service_request_id": {"type": "string"}, "token": {"type": "string"},
        "service_notice": {"type": "string"}, "account_id": {"type": "string"}}}},
    "Tokens": {"type": "array", "items": {"type": "object", "required": ["token"], "properties": {
        "service_request_id": _nullable("string"), "token": {"type": "string"}}}},
    "ServiceRequests": {"type": "array", "items": {"type": "object", "required": [
        "service_request_id", "status", "service_name", "service_code", "requested_datetime"], "properties": {
        "service_request_id": {"type": "string"}, "status": {"type": "string", "enum": ["open", "closed"]},
        "status_notes": _nullable("string"), "service_name": {"type": "string"}, "service_code": {"type": "string"},
        "description": {"type": "string"}, "agency_responsible": _nullable("string"),
        "service_notice": _nullable("string"), "requested_datetime": {"type": "string", "format": "date-time"},
        "updated_datetime": _nullable("string", format="date-time"),
        "expected_datetime": _nullable("string", format="date-time"),
        "address": _nullable("string"), "address_id": _nullable("string"), "zipcode": _nullable("string"),
        "lat": _nullable("number"), "long": _nullable("number"), "media_url": _nullable("string"),
        "detailed_status": {"type": "string"},
        "extended_attributes": {"type": "object", "properties": {
            "channel": {"type": "string"}, "zone": _nullable("string"), "duplicate": _nullable("string"),
            "parent_service_request_id": _nullable("string"),
            "photos": {"type": "array", "items": {"type": "string"}}}},
        "notes": {"type": "array", "items": {"type": "object", "required": ["datetime", "summary", "type"],
                                             "properties": {
            "datetime": {"type": "string", "format": "date-time"}, "summary": {"type": "string"},
            "description": {"type": "string"},
            "type": {"type": "string", "enum": ["submitted", "opened", "closed", "activity", "follow_on_created"]},
        }}}}}},
    "RequestUpdates": {"type": "array", "items": {"type": "object", "required": [
        "update_id", "service_request_id", "status", "updated_datetime"], "properties": {
        "update_id": {"type": "string"}, "service_request_id": {"type": "string"}, "status": {"type": "string"},
        "updated_datetime": {"type": "string", "format": "date-time"}, "description": {"type": "string"},
        "media_url": _nullable("string"), "external_status_code": {"type": "string"}}}},
    "UpdateAnswer": {"type": "array", "items": {"type": "object", "required": ["update_id"], "properties": {
        "update_id": {"type": "string"}}}},
}


def document(server: str) -> dict:
    base = "/open311/v2"
    create_body = {"type": "object", "required": ["service_code"], "properties": CREATE_FIELDS,
                   "additionalProperties": {"type": "string"},
                   "description": "Answers as attribute[CODE]=value; a multivaluelist as attribute[CODE][]=a&"
                                  "attribute[CODE][]=b or repeated attribute[CODE]. A location: lat+long, "
                                  "address_string or address_id. Parameters may also be sent in the query string."}
    multipart = {"type": "object", "properties": {**CREATE_FIELDS, "media": {"type": "string", "format": "binary"}}}
    update_body = {"type": "object", "required": ["service_request_id", "update_id", "status"], "properties": {
        "api_key": {"type": "string"}, "service_request_id": {"type": "string"}, "update_id": {"type": "string"},
        "status": {"type": "string", "description": "Upper case: OPEN, IN_PROGRESS, ACTION_SCHEDULED, INVESTIGATING, "
                                                    "FIXED, CLOSED, DUPLICATE, NOT_COUNCILS_RESPONSIBILITY, "
                                                    "NO_FURTHER_ACTION, INTERNAL_REFERRAL, CANCELLED, REOPEN, "
                                                    "FOR_TRIAGE"},
        "updated_datetime": {"type": "string", "format": "date-time"}, "description": {"type": "string"},
        "external_status_code": {"type": "string"}, "media_url": {"type": "string"}}}
    discovery = _op("discovery", "Discovery", ("Discovery", "Endpoints of this city"), [], (400, 404))
    one_request = _op(
        "get_request", "One request (a list of one)", ("ServiceRequests", "A list of one request"),
        [{"name": "service_request_id", "in": "path", "required": True, "schema": {"type": "string"}},
         SEARCH_PARAMS[-1]], (400, 404))
    return {
        "openapi": "3.0.3",
        "info": {"title": "civic311 Open311 GeoReport v2", "version": "2",
                 "description": "GeoReport v2 (http://wiki.open311.org/GeoReport_v2) with paging, bbox, q, "
                                "extensions=true and mySociety's servicerequestupdates. Every resource answers "
                                "in XML (.xml) and JSON (.json); errors use the spec's error body. Paging: page "
                                f"is 1-based, page_size and limit are at most {MAX_PAGE_SIZE}."},
        "servers": [{"url": server}],
        "paths": {
            "/open311/discovery.{format}": {"get": {**discovery, "operationId": "discovery_short"}},
            f"{base}/discovery.{{format}}": {"get": discovery},
            f"{base}/services.{{format}}": {"get": _op("services", "Service list", ("Services", "Services"), [],
                                                       (400, 404))},
            f"{base}/services/{{service_code}}.{{format}}": {"get": _op(
                "service_definition", "Service definition", ("ServiceDefinition", "Attributes of one service"),
                [{"name": "service_code", "in": "path", "required": True, "schema": {"type": "string"}}],
                (400, 404))},
            f"{base}/requests.{{format}}": {
                "get": _op("search", "Search requests", ("ServiceRequests", "Requests, newest first"),
                           SEARCH_PARAMS, (400, 404)),
                "post": _op("create", "Create a request", ("CreateAnswer", "The new request's id, or a token"),
                            [API_KEY], (400, 403, 404, 413, 429), requestBody={"required": True, "content": {
                                "application/x-www-form-urlencoded": {"schema": create_body},
                                "multipart/form-data": {"schema": multipart}}}),
            },
            f"{base}/requests/{{service_request_id}}.{{format}}": {"get": one_request},
            # The singular path some clients were written against (the contract's "known traps").
            f"{base}/request/{{service_request_id}}.{{format}}": {"get": {
                **one_request, "operationId": "get_request_singular", "deprecated": True,
                "summary": "One request, singular path (same answer as requests/{service_request_id})"}},
            f"{base}/tokens/{{token}}.{{format}}": {"get": _op(
                "token", "Request id for a token", ("Tokens", "The id the token resolved to"),
                [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}], (400, 404))},
            f"{base}/servicerequestupdates.{{format}}": {
                "get": _op("list_updates", "Public updates in a time window", ("RequestUpdates", "Updates"),
                           SEARCH_PARAMS[2:4], (400, 404)),
                "post": _op("post_update", "Push a status update (mySociety)", ("UpdateAnswer", "Update stored"),
                            [API_KEY], (400, 403, 404, 429), requestBody={"required": True, "content": {
                                "application/x-www-form-urlencoded": {"schema": update_body}}}),
            },
        },
        "components": {"schemas": SCHEMAS},
    }
