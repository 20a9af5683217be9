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


# UK phone numbers: 01, 02, 03, 07 and 08 numbers of 10 or 11 digits, as typed with
# spaces, dashes, dots or brackets; +44 (0) or 0044 stands for the leading 0.
PHONE_SEPARATORS_RE = re.compile(r"[\s\-.()/]")
UK_PHONE_RE = re.compile(r"^0[12378]\d{8,9}$")
PHONE_MESSAGE = (
    "Enter a UK phone number starting 01, 02, 03, 07 or 08, with 10 or 11 digits, "
    "like 01928 123456 or 020 7946 0000 (+44 is fine)."
)


def uk_phone_digits(value: str) -> str | None:
    """The number's digits with a leading 0 (+44 turned back into 0), or None if it is
    not a UK number of the accepted kinds."""
    compact = PHONE_SEPARATORS_RE.sub("", value or "")
    # "+44 (0)1928" has lost its brackets by now: "+440", like "00440".
    for prefix in ("+440", "+44", "00440", "0044"):
        if compact.startswith(prefix):
            compact = "0" + compact[len(prefix) :]
            break
    return compact if UK_PHONE_RE.match(compact) else None


def normalise_phone(value: str) -> str:
    """A UK number written the usual way (020 7946 0000, 01928 123456, 0300 123 4567);
    a value that is not one is returned as it was, for the validator to refuse."""
    digits = uk_phone_digits(value)
    if digits is None:
        return (value or "").strip()
    if len(digits) == 10:
        # Ten-digit numbers: a few small towns (016977 xxxx) and 0800/0500 freephone.
        return f"{digits[:4]} {digits[4:]}" if digits[1] == "8" else f"{digits[:5]} {digits[5:]}"
    if digits[1] == "2":
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if digits[1] in "38" or digits.startswith(("0113", "0114", "0115", "0116", "0117", "0118")):
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    if digits[1] == "1" and digits[3] == "1":
        # 01x1 cities (0121 Birmingham, 0161 Manchester, ...).
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    return f"{digits[:5]} {digits[5:]}"


def validate_uk_phone(value: str) -> None:
    if value and uk_phone_digits(value) is None:
        raise ValidationError(PHONE_MESSAGE, code="invalid_phone")


def validate_email_domain(value: str) -> None:
    """An email address must name a domain with a dot in it (not "name@localhost")."""
    if value and "." not in value.rpartition("@")[2].strip("."):
        raise ValidationError(
            "Enter an email address with its domain, like name@example.org.",
            code="invalid_email_domain",
        )
