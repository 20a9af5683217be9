"""Providers: the organisations behind listings keep them current.

An app with no models of its own (its models are the register's: `Provider`,
`ProviderClaim`, `ProviderLink`, `ReviewReminder`). It sits above `curation`, whose
version check, suggestions and history it uses.

- `domains`: which email domains may claim a listing (never free mail).
- `links`: sign-in links by email (django-sesame), single use, with their rate limit.
- `backends`: the sign-in backend; never a staff account, never a revoked provider.
- `mail`: emails with text and HTML parts.
- `services`: claims (matched, waiting, approved, refused), revoking, a provider's
  edits (published or suggested), "nothing has changed", review reminders.
- `views`, `forms`, `urls`: the claim form and the provider area under /provider/.
- `admin`: claims and providers in the curators' admin.
- `management/commands`: `send_review_reminders`, `provider_domains`.
"""
