"""The developer page on each city's portal: how to get a key, curl examples with the city's own host
and service codes, and a link to the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from civic311.open311.serializers import api_categories
from civic311.web.hosts import restrict_to, tenant_url

bp = Blueprint("open311_developers", __name__)
restrict_to(bp, "tenant")


# A sample answer per datatype, so the curl example passes validation on the city's real catalog.
SAMPLE_ANSWERS = {"number": "3", "datetime": "2026-01-15T09:00:00Z", "text": "Seen on the way to work",
                  "string": "Seen on the way to work"}


def example_category(categories: list) -> object | None:
    """The first service a plain curl call can file (no photo required), else the first service."""
    return next((c for c in categories if not getattr(c, "photo_required", False)), None) or \
        (categories[0] if categories else None)


def example_fields(category, lat: float, lng: float) -> list[tuple[str, str]]:
    """The form fields of a POST /requests that the category's own rules accept: its required questions
    answered (the first allowed value of a list, a number for number...) and contact when required."""
    fields = [("service_code", category.service_code), ("lat", str(lat)), ("long", str(lng))]
    for question in category.questions:
        if not (question.required and question.variable):
            continue
        if question.datatype in ("singlevaluelist", "multivaluelist") and question.values:
            answer = str(question.values[0]["key"])
        else:
            answer = SAMPLE_ANSWERS.get(question.datatype, SAMPLE_ANSWERS["string"])
        fields.append((f"attribute[{question.code}]", answer))
    if getattr(category, "contact_required", False):
        fields.append(("email", "resident@example.com"))
    fields.append(("description", "Describe the problem"))
    return fields


@bp.route("/developers", methods=["GET"])
def developers():
    tenant = g.tenant
    categories = api_categories()
    example = example_category(categories)
    return render_template(
        "open311/developers.html",
        tenant=tenant,
        base=tenant_url(tenant, "/open311/v2"),
        openapi_url=tenant_url(tenant, "/open311/v2/openapi.json"),
        categories=categories[:12],
        example=example,
        example_fields=example_fields(example, *tenant.map_center) if example else [],
    )
