"""Share links: `/s/<token>`, where the token is the list's initiative ids signed with
the site's secret key and the time it was made (django.core.signing). It needs no
table, nothing about the person is stored, and it cannot be altered without the key.
A link is read for SHARE_DAYS days; changing DJANGO_SECRET_KEY ends every link."""

from datetime import timedelta

from django.core import signing

SALT = "initiatives.shortlist.share"
SHARE_DAYS = 90


class Expired(Exception):
    """The link was made more than SHARE_DAYS days ago."""


class Invalid(Exception):
    """The link was not made here, or was changed."""


def make(ids: list[int]) -> str:
    """A token holding the ids, compact: base-36 numbers joined by dots."""
    payload = ".".join(_base36(pk) for pk in ids)
    return signing.TimestampSigner(salt=SALT).sign(payload or "-")


def read(token: str) -> list[int]:
    """The ids a token holds, in order; Expired or Invalid otherwise."""
    signer = signing.TimestampSigner(salt=SALT)
    try:
        payload = signer.unsign(token, max_age=timedelta(days=SHARE_DAYS))
    except signing.SignatureExpired as error:
        raise Expired from error
    except signing.BadSignature as error:
        raise Invalid from error
    if payload == "-":
        return []
    try:
        return [int(part, 36) for part in payload.split(".")]
    except ValueError as error:
        raise Invalid from error


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out
