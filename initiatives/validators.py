"""Format checks a curator would want, with messages that name the fix."""

import re

from django.core.exceptions import ValidationError

# The UK postcode shape: outward code (area, district) then inward code (sector, unit).
# GIR 0AA is the one historic exception still in use.
POSTCODE_RE = re.compile(
    r"^(GIR ?0AA|[A-PR-UWYZ][0-9][0-9A-HJKPSTUW]? ?[0-9][ABD-HJLNP-UW-Z]{2}"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][0-9ABEHMNPRV-Y]? ?[0-9][ABD-HJLNP-UW-Z]{2})$"
)

# England and Wales: 6 or 7 digits, optionally "-NN" for a linked charity.
# Scotland: SC then 6 digits. Northern Ireland: NIC then 6 digits (NIC100000 ...),
# older "XN/XR" numbers are not accepted by the current register.
CHARITY_NUMBER_RE = re.compile(r"^(\d{6,7}(-\d{1,2})?|SC\d{6}|NIC\d{6})$")

# Companies House: 8 characters, digits or a two-letter prefix and 6 digits
# (SC, NI, OC, SO, NC, R0, ...).
COMPANY_NUMBER_RE = re.compile(r"^([0-9]{8}|[A-Z]{2}[0-9]{6}|R0[0-9]{6})$")


def normalise_postcode(value: str) -> str:
    """Upper-case a postcode and put exactly one space before the inward code."""
    compact = re.sub(r"\s+", "", value or "").upper()
    if len(compact) < 5:
        return compact
    return f"{compact[:-3]} {compact[-3:]}"


def validate_postcode(value: str) -> None:
    if value and not POSTCODE_RE.match(normalise_postcode(value)):
        raise ValidationError(
            "Enter a UK postcode, like WA7 1AB.", code="invalid_postcode", params={"value": value}
        )


def normalise_registration_number(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def validate_charity_number(value: str) -> None:
    if value and not CHARITY_NUMBER_RE.match(normalise_registration_number(value)):
        raise ValidationError(
            "Enter a charity number: 6 or 7 digits for England and Wales (like 1054234), "
            "SC and 6 digits for Scotland (like SC012345), or NIC and 6 digits for "
            "Northern Ireland (like NIC100002).",
            code="invalid_charity_number",
        )


def validate_company_number(value: str) -> None:
    if value and not COMPANY_NUMBER_RE.match(normalise_registration_number(value)):
        raise ValidationError(
            "Enter a Companies House number of 8 characters: 8 digits (like 03176431, "
            "keep the leading zeros) or 2 letters and 6 digits (like SC158165).",
            code="invalid_company_number",
        )


# Words that belong in a curator's note, not in text the public reads: "not confirmed",
# "TODO", "source", "check" and their kin. A match is a warning, never a refusal: a
# summary may rightly say "free health checks".
NOTE_TO_SELF_RE = re.compile(
    r"\b(not (?:yet )?confirmed|unconfirmed|unverified|unsourced|to ?do|tbc|tbd|fixme|xxx"
    r"|(?:stored |no )?sources?|(?:to |please |double[- ])?check|verify|need(?:s)? checking)\b",
    re.IGNORECASE,
)
# The public text fields a note to self must not slip into.
PUBLIC_TEXT_FIELDS = ("summary", "description")


def notes_to_self(text: str) -> list[str]:
    """The phrases in `text` that read like a note to self, as written, each once."""
    found = [match.group(0) for match in NOTE_TO_SELF_RE.finditer(text or "")]
    return list(dict.fromkeys(found))


def note_to_self_warning(field: str, text: str) -> str | None:
    """A warning naming what in a public field reads like a note to self, or None."""
    phrases = notes_to_self(text)
    if not phrases:
        return None
    quoted = ", ".join(f"\u201c{phrase}\u201d" for phrase in phrases)
    return (
        f"The {field} is published but reads like a note to self ({quoted}). "
        "Put notes for curators in the curator note, which is never published."
    )
