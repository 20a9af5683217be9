"""UK phone numbers as people type them: accepted, written the usual way, or refused
with a message that says what a UK number looks like."""

import pytest
from django.core.exceptions import ValidationError

from initiatives.validators import normalise_phone, validate_email_domain, validate_uk_phone


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("01928 123456", "01928 123456"),
        ("01928-123-456", "01928 123456"),
        ("+44 (0)1928 123456", "01928 123456"),
        ("+441928123456", "01928 123456"),
        ("0044 1928 123456", "01928 123456"),
        ("+44 20 7946 0000", "020 7946 0000"),
        ("0161 496 0123", "0161 496 0123"),
        ("0113 496 0001", "0113 496 0001"),
        ("07700 900123", "07700 900123"),
        ("0300 123 4567", "0300 123 4567"),
        ("0800 123 456", "0800 123456"),
        ("(01978) 000000", "01978 000000"),
    ],
)
def test_uk_numbers_are_accepted_and_written_the_usual_way(typed, stored):
    validate_uk_phone(typed)
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["12345", "0999 123 4567", "09012 345678", "+33 1 23 45 67 89", "01928 12345678", "call us"],
)
def test_other_numbers_are_refused_and_left_as_typed(typed):
    with pytest.raises(ValidationError, match="Enter a UK phone number starting 01, 02, 03"):
        validate_uk_phone(typed)
    assert normalise_phone(typed) == typed


@pytest.mark.parametrize("email", ["name@localhost", "name@example", "name@.org."])
def test_an_email_needs_a_domain(email):
    with pytest.raises(ValidationError, match="with its domain, like name@example.org"):
        validate_email_domain(email)


def test_an_email_with_a_domain_passes():
    validate_email_domain("name@example.org")
