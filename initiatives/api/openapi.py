"""The OpenAPI description of /api/v1/, built from the same parameter lists the views check.

It also holds what the API declares itself to be: its HSDS version and profile.

Response bodies are the Open Referral UK 3.0 schemas, referred to by the
profile's own URLs, as its openapi.json does.
"""

from .params import (
    ORGANIZATION_LIST_PARAMS,
    PAGE_PARAMS,
    SERVICE_AT_LOCATION_LIST_PARAMS,
    SERVICE_LIST_PARAMS,
    TERM_LIST_PARAMS,
    Param,
)

HSDS_VERSION = "HSDS-UK-3.0"
PROFILE_URL = "https://github.com/openreferral/uk-profile"
ORUK_SCHEMAS = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"


def _schema(name: str) -> dict:
    return {"$ref": f"{ORUK_SCHEMAS}{name}"}


def _parameter(param: Param) -> dict:
    schema = {"type": "array", "items": param.schema} if param.repeatable else param.schema
    described = {
        "name": param.name,
        "in": "query",
        "required": False,
        "description": param.description,
        "schema": schema,
    }
    if param.repeatable:
        described |= {"style": "form", "explode": True}
    return described


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR = {"$ref": "#/components/schemas/Error"}


def _list(summary: str, item_schema: dict, params: list[Param]) -> dict:
    page = {
        "allOf": [{"$ref": "#/components/schemas/Page"}],
        "properties": {"contents": {"type": "array", "items": item_schema}},
    }
    return {
        "get": {
            "summary": summary,
            "parameters": [_parameter(param) for param in params],
            "responses": {
                "200": _json(summary, page),
                "400": _json("A parameter is unknown or has a bad value.", ERROR),
            },
        }
    }


def _detail(summary: str, schema: dict, what: str) -> dict:
    return {
        "parameters": [
            {
                "name": "id",
                "in": "path",
                "required": True,
                "description": f"The {what}'s id.",
                "schema": {"type": "string", "format": "uuid"},
            }
        ],
        "get": {
            "summary": summary,
            "responses": {
                "200": _json(summary, schema),
                "400": _json("The id is not a UUID, or a query parameter was given.", ERROR),
                "404": _json(f"No published {what} has this id.", ERROR),
            },
        },
    }


def openapi_document(*, api_url: str) -> dict:
    """The OpenAPI 3.1 document for the API served at `api_url`."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Community Health Directory: Open Referral UK API",
            "version": "1.0",
            "description": (
                "Published initiatives of the Community Health Directory in the Open Referral "
                f"UK 3.0 shape ({HSDS_VERSION}). Each initiative is a service, its "
                "organisation an organization; role, topics, conditions, population groups, "
                "funding dependency and vanguard care models are taxonomies. Read-only, open "
                "to every origin. Empty optional fields are left out. Errors are JSON with "
                "`status`, `error`, `message` and, per parameter, `errors`. To sync a copy, "
                "ask the lists with `modified_after` (the time of your last visit): they "
                "then give what changed since, ended services as status `defunct`, and "
                "records withdrawn since (archived or unpublished) as deletions: services "
                "with status `inactive` and an alert saying so, organisations with a "
                "description saying so, each with nothing else of the record."
            ),
        },
        "servers": [{"url": api_url.rstrip("/")}],
        "paths": {
            "/": {
                "get": {
                    "summary": "What this API is: its HSDS version, profile and this document.",
                    "responses": {
                        "200": _json(
                            "Information about this API.",
                            {
                                "type": "object",
                                "required": ["version", "profile", "openapi_url"],
                                "properties": {
                                    "version": {"type": "string", "const": HSDS_VERSION},
                                    "profile": {"type": "string", "format": "uri"},
                                    "openapi_url": {"type": "string", "format": "uri"},
                                },
                            },
                        )
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document.",
                    "responses": {"200": _json("The OpenAPI document.", {"type": "object"})},
                }
            },
            "/services": _list(
                (
                    "Published services, with their one-to-one fields. With "
                    "modified_after, ended ones and those withdrawn since too."
                ),
                _schema("compiled/service_list.json"),
                SERVICE_LIST_PARAMS,
            ),
            "/services/{id}": _detail(
                "A fully nested service.", _schema("compiled/service.json"), "service"
            ),
            "/service_at_locations": _list(
                (
                    "Published services that have an address or postcode, or a town they "
                    "are based in (its centre, called approximate in the location's "
                    "description, with no address), at that location."
                ),
                _schema("compiled/service_at_location_list.json"),
                SERVICE_AT_LOCATION_LIST_PARAMS,
            ),
            "/service_at_locations/{id}": _detail(
                "A fully nested service at its location.",
                _schema("compiled/service_at_location.json"),
                "service_at_location",
            ),
            "/organizations": _list(
                (
                    "Organisations with at least one published service, with their "
                    "one-to-one fields. With modified_after, those withdrawn since too."
                ),
                _schema("compiled/organization_list.json"),
                ORGANIZATION_LIST_PARAMS,
            ),
            "/organizations/{id}": _detail(
                (
                    "An organisation with its charity and company numbers and its "
                    "published services, each fully nested."
                ),
                _schema("compiled/organization.json"),
                "organization",
            ),
            "/taxonomies": _list(
                "Our vocabularies, as taxonomies.", _schema("taxonomy.json"), PAGE_PARAMS
            ),
            "/taxonomies/{id}": _detail(
                "A taxonomy with its terms.", _schema("taxonomy.json"), "taxonomy"
            ),
            "/taxonomy_terms": _list(
                "The terms of every taxonomy.",
                _schema("taxonomy_term.json"),
                TERM_LIST_PARAMS,
            ),
            "/taxonomy_terms/{id}": _detail(
                "A taxonomy term.", _schema("taxonomy_term.json"), "taxonomy term"
            ),
        },
        "components": {
            "schemas": {
                "Page": {
                    "type": "object",
                    "required": [
                        "total_items",
                        "total_pages",
                        "page_number",
                        "size",
                        "first_page",
                        "last_page",
                        "empty",
                    ],
                    "properties": {
                        "total_items": {"type": "integer", "description": "Matching items."},
                        "total_pages": {"type": "integer", "description": "Pages of them."},
                        "page_number": {"type": "integer", "description": "This page, from 1."},
                        "size": {"type": "integer", "description": "Items on this page."},
                        "first_page": {"type": "boolean"},
                        "last_page": {"type": "boolean"},
                        "empty": {"type": "boolean", "description": "No items on this page."},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["status", "error", "message"],
                    "properties": {
                        "status": {"type": "integer"},
                        "error": {"type": "string"},
                        "message": {"type": "string", "description": "What was wrong."},
                        "errors": {
                            "type": "object",
                            "description": "Per parameter, what was wrong with it.",
                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
            }
        },
    }
