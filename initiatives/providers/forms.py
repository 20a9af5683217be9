"""The provider area's forms: the claim, and the public fields of one initiative with
its opening times and contacts. Never a curator's field (verification, role,
funding, areas, publication)."""

from django import forms
from django.forms.models import inlineformset_factory

from ..curation.forms import VersionCheckedForm
from ..curation.services import CHILD_FIELDS
from ..curation.suggestions import MultilineField, ParagraphField
from ..models import Contact, Initiative, OpeningTime

SECTIONS = [
    ("What it does", ["summary", "description"]),
    ("Is it running?", ["lifecycle", "started_in", "ended_in"]),
    ("When", ["opening_notes", "by_appointment"]),
    (
        "Ways in",
        [
            "self_referral",
            "self_referral_contact",
            "professional_referral",
            "professional_referral_contact",
            "drop_in",
            "drop_in_contact",
            "waiting_list",
            "waiting_list_contact",
            "membership",
            "membership_contact",
        ],
    ),
    ("Cost", ["cost", "cost_detail"]),
    ("Contact and location", ["website", "email", "phone", "address", "postcode"]),
]
# The initiative's public fields a provider keeps, in the form's order.
PROVIDER_FIELDS = [name for _, names in SECTIONS for name in names]


class ClaimForm(forms.Form):
    email = forms.EmailField(
        label="Your work email address",
        max_length=254,
        help_text="We send a sign-in link to it, or ask a curator to check who you are.",
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
    )
    # Hidden from people (and from screen readers); only bots fill it in.
    homepage = forms.CharField(label="Leave this field empty", required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["homepage"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})

    @property
    def is_bot(self) -> bool:
        return bool((self.data.get("homepage") or "").strip())


class YesNoNotRecorded(forms.NullBooleanSelect):
    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("unknown", "Not recorded"), ("true", "Yes"), ("false", "No")]


def _formfield(model_field, **kwargs):
    if model_field.name == "summary":
        return ParagraphField(
            max_length=model_field.max_length,
            required=False,
            widget=forms.Textarea(attrs={"rows": 3}),
            label="Summary",
            help_text="One or two sentences. At most 300 characters.",
        )
    if model_field.name in ("description", "address"):
        return MultilineField(
            required=False,
            max_length=5000 if model_field.name == "description" else 500,
            widget=forms.Textarea(attrs={"rows": 6 if model_field.name == "description" else 3}),
            label=model_field.verbose_name.capitalize(),
        )
    if model_field.name == "website":
        kwargs["assume_scheme"] = "https"
    field = model_field.formfield(**kwargs)
    if isinstance(field, forms.NullBooleanField):
        field.widget = YesNoNotRecorded()
    return field


class ProviderInitiativeForm(VersionCheckedForm):
    record_noun = "the listing"

    class Meta:
        model = Initiative
        fields = [*PROVIDER_FIELDS, "version"]
        formfield_callback = _formfield

    def sections(self) -> list[dict]:
        return [
            {"legend": legend, "fields": [self[name] for name in names]}
            for legend, names in SECTIONS
        ]


class OpeningTimeForm(forms.ModelForm):
    class Meta:
        model = OpeningTime
        fields = list(CHILD_FIELDS["opening_times"][1])
        widgets = {
            "opens_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "closes_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_to": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }


OpeningTimeFormSet = inlineformset_factory(
    Initiative, OpeningTime, form=OpeningTimeForm, extra=1, can_delete=True, max_num=50
)
ContactFormSet = inlineformset_factory(
    Initiative,
    Contact,
    fields=list(CHILD_FIELDS["contacts"][1]),
    extra=1,
    can_delete=True,
    max_num=20,
)
