"""The JSON API under /api/v1/: published records in the Open Referral UK 3.0 shape (HSDS-UK-3.0).

Each initiative is a `service`, its organisation an `organization`; our
vocabularies (role, topics, conditions, population groups, funding dependency,
vanguard care models) are `taxonomies` whose terms are linked to services as
`attributes`. Filtering goes through the listing's own FilterSet, so the API,
the listing and the CSV export agree.

The modules, each depending only on those before it:
- ids: uuid5 ids for what the register does not store;
- errors: ApiError, the JSON error body and the api_view decorator;
- params: the query parameters each endpoint takes, and their parsing;
- taxonomies: our vocabularies as taxonomies and their terms;
- serialise: records as the profile's JSON shapes;
- lists: filtering services and organisations by the params (with modified_after, a
  sync feed with withdrawals), and a page of results;
- openapi: the OpenAPI document, from the same parameter lists;
- views and urls: the endpoints.
"""
