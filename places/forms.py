"""A form field for "near a postcode" searches."""

from django import forms

from .lookup import ENTER_A_POSTCODE, MAX_POSTCODE_LENGTH, find_place


class PlaceField(forms.CharField):
    """A postcode, sector or district, cleaned to a lookup.Place (or None when empty).

    Its errors are the messages a person can act on: "Enter a UK postcode, like
    WA7 1AB" or "We couldn't find that postcode".
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_POSTCODE_LENGTH)
        super().__init__(**kwargs)
        self.error_messages["max_length"] = ENTER_A_POSTCODE

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        return find_place(text)
