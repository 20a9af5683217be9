"""Form fields for "near a postcode" and "in a town" searches."""

from django import forms
from django.core.exceptions import ValidationError

from . import gazetteer
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


class GazetteerField(forms.CharField):
    """A town, city or village by name (or by a gazetteer key such as "newport-2641598"),
    cleaned to the gazetteer.GazetteerPlace it means (or None when empty).

    Its errors are messages a person can act on: an unknown name gives "We couldn't
    find a place called Atlantis; try a postcode", a name several places share
    "There are several places called Newport: choose one" (code "ambiguous_place").
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 1000)  # longer text gets gazetteer.TOO_LONG
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        found = gazetteer.resolve(text)
        if found.chosen is None:
            raise ValidationError(
                f"There are several places called {found.asked}: choose one",
                code="ambiguous_place",
            )
        return found.chosen
