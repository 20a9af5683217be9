"""Suggestions from the public: a new initiative, or a correction to a published one.

Nothing here publishes anything: each suggestion waits for a curator in the admin
(services.suggestion_accept / suggestion_reject). Abuse is kept down by CSRF, a
honeypot field, a size limit on every field, and a limit of SUGGESTIONS_PER_HOUR per
client address, counted in the database from an HMAC of the address (never stored).
The count and the new suggestion are one transaction that holds a lock per client, so
parallel requests from one client cannot all pass the count before any is stored.
"""

import uuid
from datetime import timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from directory.clientip import client_address

from ..http import not_found
from ..models import MAX_AGE, Initiative, Suggestion
from ..wording import shown

# The initiative's own fields a member of the public may propose, in the form's order.
MODEL_FIELDS = [
    "name",
    "summary",
    "description",
    "role",
    "self_referral",
    "professional_referral",
    "drop_in",
    "membership",
    "cost",
    "min_age",
    "max_age",
    "website",
    "email",
    "phone",
    "address",
    "postcode",
]
# Asked only about a new initiative; the curator matches them to records.
NEW_ONLY_FIELDS = ["organisation_name", "where"]
LABELS = {
    "name": "Name of the initiative",
    "summary": "What it does, in a sentence or two",
    "description": "More about it",
    "role": "What kind of initiative is it?",
    "self_referral": "People can refer themselves",
    "professional_referral": "A professional (such as a GP or link worker) can refer people",
    "drop_in": "People can drop in",
    "membership": "People join as members",
    "cost": "Does it cost anything?",
    "min_age": "Youngest age it is for",
    "max_age": "Oldest age it is for",
    "website": "Website",
    "email": "Email address of the initiative",
    "phone": "Phone number",
    "address": "Address",
    "postcode": "Postcode",
    "organisation_name": "Organisation that runs it",
    "where": "Where does it work?",
}
HINTS = {
    "summary": "At most 300 characters.",
    "description": "Who it helps, what happens, when and where. At most 5,000 characters.",
    "min_age": "In years: 0 if it is for all ages. Leave empty if you do not know.",
    "max_age": "In years. Leave empty if there is no upper age or you do not know.",
    "website": "For example, https://www.example.org",
    "postcode": "For example, WA7 1AB",
    "organisation_name": "The charity, company or group, if you know it.",
    "where": "Towns, council areas or regions it serves, or \u201cnational\u201d.",
}
# Model fields without a length limit get one here; every field has a limit.
TEXT_LIMITS = {"description": 5000, "address": 500}
# Long text gets a textarea; the summary is one paragraph (its line breaks become spaces).
TEXTAREA_ROWS = {"summary": 3, "description": 6, "address": 3}
# What each field is called inside a sentence, for error messages that name it.
NAMES = {
    "name": "the name of the initiative",
    "summary": "what it does",
    "description": "more about it",
    "role": "what kind of initiative it is",
    "cost": "whether it costs anything",
    "min_age": "the youngest age",
    "max_age": "the oldest age",
    "website": "the website",
    "email": "the initiative\u2019s email address",
    "phone": "the phone number",
    "address": "the address",
    "postcode": "the postcode",
    "organisation_name": "the organisation",
    "where": "where it works",
    "message": "anything else we should know",
    "contact_email": "your email address",
}
EXAMPLES = {
    "website": "https://www.example.org",
    "email": "name@example.org",
    "contact_email": "name@example.org",
    "postcode": "WA7 1AB",
}
MESSAGE_LIMIT = 2000
HONEYPOT = "homepage"


class MultilineField(forms.CharField):
    """Text from a textarea, with browsers' CRLF line ends read as plain newlines."""

    widget = forms.Textarea

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n") if value else value


class ParagraphField(MultilineField):
    """One paragraph typed in a textarea: line breaks become single spaces."""

    def to_python(self, value):
        value = super().to_python(value)
        return " ".join(value.split()) if value else value


def _formfield(model_field, **kwargs):
    name = model_field.name
    if name in TEXTAREA_ROWS:
        field_class = ParagraphField if name == "summary" else MultilineField
        return field_class(
            max_length=TEXT_LIMITS.get(name, model_field.max_length),
            required=not model_field.blank,
            widget=forms.Textarea(attrs={"rows": TEXTAREA_ROWS[name]}),
        )
    if isinstance(model_field, models.BooleanField):
        # A tick box (the model's field also allows "not recorded"; see proposed()).
        return model_field.formfield(form_class=forms.BooleanField, **kwargs)
    if isinstance(model_field, models.URLField):
        # As in the admin: "example.org" means the secure site.
        kwargs["assume_scheme"] = "https"
    return model_field.formfield(**kwargs)


class ProposalForm(forms.ModelForm):
    """The initiative's fields as the public proposes them, validated as the model would.

    The form's instance is never saved: what was proposed goes into a Suggestion.
    """

    message = MultilineField(
        label="Anything else we should know",
        required=False,
        max_length=MESSAGE_LIMIT,
        help_text="For example, how you know about it. At most 2,000 characters.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    contact_email = forms.EmailField(
        label="Your email address",
        required=False,
        max_length=254,
        help_text="Only if you are happy for a curator to contact you about this suggestion. "
        "We never publish it.",
    )
    # Hidden from people (and from screen readers); only bots fill it in.
    homepage = forms.CharField(label="Leave this field empty", required=False, max_length=200)

    class Meta:
        model = Initiative
        fields = MODEL_FIELDS
        formfield_callback = _formfield
        labels = {name: label for name, label in LABELS.items() if name in MODEL_FIELDS}
        help_texts = {name: hint for name, hint in HINTS.items() if name in MODEL_FIELDS}
        widgets = {"role": forms.RadioSelect, "cost": forms.RadioSelect}

    ACCESS_FIELDS = ["self_referral", "professional_referral", "drop_in", "membership"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cost"].choices = [("", "Not sure"), *Initiative.Cost.choices]
        self.fields["role"].choices = [
            (Initiative.Role.SERVICE_PROVIDER, "It delivers a service directly to people"),
            (Initiative.Role.CAMPAIGNING, "It informs, campaigns or speaks up for people"),
            (Initiative.Role.BOTH, "Both"),
        ]
        for name in ["min_age", "max_age"]:
            self.fields[name].widget.attrs.update({"inputmode": "numeric"})
        autocomplete = {"contact_email": "email", HONEYPOT: "off"}
        for name, value in autocomplete.items():
            self.fields[name].widget.attrs["autocomplete"] = value
        self.fields[HONEYPOT].widget.attrs["tabindex"] = "-1"

    def full_clean(self):
        super().full_clean()
        if self.is_bound:
            self._errors = {
                name: self.error_class(
                    [
                        ValidationError(self.error_message(name, error), code=error.code)
                        for error in errors.as_data()
                    ],
                    renderer=self.renderer,
                )
                for name, errors in self._errors.items()
            }

    def error_message(self, name: str, error: ValidationError) -> str:
        """An error in words that name the field and say how to put it right (the GOV.UK
        Design System's pattern), in place of Django's general ones."""
        if name not in NAMES:
            return " ".join(error.messages)
        what = NAMES[name]
        field = self.fields.get(name)
        code = error.code
        params = error.params or {}
        if code == "required":
            if isinstance(field, forms.ChoiceField):
                return f"Select {what}"
            return f"Enter {what}"
        if code == "max_length":
            limit = params.get("limit_value", getattr(field, "max_length", None))
            return f"{what[0].upper()}{what[1:]} must be {limit:,} characters or fewer"
        if code == "invalid_choice":
            return f"Choose {what} from the options given"
        if code == "min_age_above_max":
            return "The youngest age must not be above the oldest age"
        if name in ("min_age", "max_age"):
            if code == "min_value":
                return f"{what[0].upper()}{what[1:]} must be 0 or more"
            if code == "max_value":
                return f"{what[0].upper()}{what[1:]} must be {MAX_AGE} or less"
            if code in ("invalid", "max_whole_digits", "max_digits", "max_decimal_places"):
                return f"Enter {what} as a whole number of years, like 16"
        if code in ("invalid", "invalid_postcode") and name in EXAMPLES:
            return f"Enter {what} in the correct format, like {EXAMPLES[name]}"
        return " ".join(error.messages)

    @property
    def is_bot(self) -> bool:
        """True when the honeypot field was filled in (people never see it)."""
        return bool((self.data.get(HONEYPOT) or "").strip())

    def proposed(self) -> dict:
        """The proposed values, as JSON: field name -> text, yes/no, number or None.

        Model fields are taken as the model cleaned them (a postcode in capitals, say).
        """
        return {
            name: getattr(self.instance, name) if name in MODEL_FIELDS else self.cleaned_data[name]
            for name in self.proposed_fields()
        }

    def proposed_fields(self) -> list[str]:
        return MODEL_FIELDS + NEW_ONLY_FIELDS


class NewInitiativeForm(ProposalForm):
    def proposed(self) -> dict:
        """As the form gives it, except that a way in left unticked is not recorded: the
        person may not know, so it is not proposed as a "no"."""
        proposed = super().proposed()
        for name in self.ACCESS_FIELDS:
            proposed[name] = True if proposed.get(name) else None
        return proposed

    organisation_name = forms.CharField(
        label=LABELS["organisation_name"],
        help_text=HINTS["organisation_name"],
        required=False,
        max_length=200,
    )
    where = forms.CharField(
        label=LABELS["where"], help_text=HINTS["where"], required=False, max_length=500
    )


class CorrectionForm(ProposalForm):
    """The published record's values, prefilled; the person changes what is wrong.

    A field left as it was is not proposed, and its current value is not checked
    (a record may hold a value that today's checks would refuse).
    """

    def unchanged(self) -> set[str]:
        """Fields whose submitted text is the text the form was prefilled with."""
        if not self.is_bound:
            return set(MODEL_FIELDS)
        same = set()
        for name in MODEL_FIELDS:
            bound = self[name]
            field = self.fields[name]
            if isinstance(field, forms.BooleanField):
                initial_value = bool(bound.initial)
                submitted = field.widget.value_from_datadict(self.data, self.files, bound.html_name)
                if bool(submitted) == initial_value:
                    same.add(name)
                continue
            initial_text = "" if bound.initial is None else str(field.prepare_value(bound.initial))
            submitted = self.data.get(bound.html_name, "")
            normalise = MultilineField().to_python
            if normalise(str(submitted)).strip() == normalise(initial_text).strip():
                same.add(name)
        return same

    def _post_clean(self):
        # Checks of fields left as they were are dropped: they are not being proposed.
        unchanged = self.unchanged()
        for name in unchanged:
            self._errors.pop(name, None)
            self.cleaned_data.pop(name, None)
        super()._post_clean()
        for name in unchanged:
            self._errors.pop(name, None)

    def proposed_fields(self) -> list[str]:
        unchanged = self.unchanged()
        return [name for name in MODEL_FIELDS if name not in unchanged]

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.proposed_fields() and not cleaned.get("message"):
            raise forms.ValidationError(
                "You have not changed anything. Change the details that are wrong, or tell "
                "us what is wrong in \u201cAnything else we should know\u201d.",
                code="nothing_changed",
            )
        return cleaned


# Rate limit ----------------------------------------------------------------------


def client_hash(request) -> str:
    """An HMAC (keyed with SECRET_KEY) of the client's address: countable, not reversible."""
    address = client_address(request) or "unknown"
    return salted_hmac("initiatives.suggestion-client", address, algorithm="sha256").hexdigest()


# The first key of the PostgreSQL advisory lock that serialises one client's suggestions.
CLIENT_LOCK_SPACE = 17


def client_lock(hashed: str) -> None:
    """Hold a lock for this client until the transaction ends, so that counting its recent
    suggestions and storing a new one happen one request at a time.

    PostgreSQL: a transaction-level advisory lock keyed by the client's hash (waits are
    bounded by the lock time limit). SQLite lets one writer in at a time: its
    transactions begin IMMEDIATE (settings), which serialises them already.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [CLIENT_LOCK_SPACE, hashed]
            )


def seconds_until_allowed(request) -> int:
    """0 when the client may suggest now; otherwise how long until the limit lets them."""
    window = timedelta(hours=1)
    since = timezone.now() - window
    recent = list(
        Suggestion.objects.filter(client_hash=client_hash(request), created_at__gte=since)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[: settings.SUGGESTIONS_PER_HOUR]
    )
    if len(recent) < settings.SUGGESTIONS_PER_HOUR:
        return 0
    oldest_counted = recent[-1]
    return max(1, int((oldest_counted + window - timezone.now()).total_seconds()) + 1)


# Views -----------------------------------------------------------------------------


def _published_initiative(*, slug=None, key=None):
    published = Initiative.objects.published().select_related("organisation")
    if slug is not None:
        return published.filter(slug=slug).first()
    try:
        return published.filter(uuid=uuid.UUID(str(key))).first()
    except ValueError:
        return None


def suggest(request, slug=None):
    """/suggest/ (a new initiative) and /initiatives/<slug>/suggest/ (a correction).

    /suggest/?initiative=<uuid> is the correction form for that initiative too.
    """

    initiative = None
    key = request.GET.get("initiative")
    if slug is not None or key:
        initiative = _published_initiative(slug=slug, key=key)
        if initiative is None:
            asked = slug if slug is not None else key
            return not_found(
                request, f"We don\u2019t know a published initiative at \u201c{shown(asked)}\u201d."
            )
    form_class = CorrectionForm if initiative else NewInitiativeForm
    form_kwargs = {"instance": initiative} if initiative else {}

    if request.method == "POST":
        form = form_class(request.POST, **form_kwargs)
        if form.is_bot:
            # Said to have worked, so that the bot learns nothing; nothing is stored.
            return HttpResponseRedirect(_thanks_url(initiative))
        wait = seconds_until_allowed(request)
        if wait:
            return _try_later(request, initiative, wait)
        if form.is_valid():
            hashed = client_hash(request)
            with transaction.atomic():
                # Counted again under the client's lock: parallel requests wait their turn.
                client_lock(hashed)
                wait = seconds_until_allowed(request)
                if not wait:
                    Suggestion.objects.create(
                        kind=Suggestion.Kind.CORRECTION if initiative else Suggestion.Kind.NEW,
                        initiative=initiative,
                        proposed=form.proposed(),
                        message=form.cleaned_data.get("message") or "",
                        contact_email=form.cleaned_data.get("contact_email") or "",
                        client_hash=hashed,
                    )
            if not wait:
                return HttpResponseRedirect(_thanks_url(initiative))
            return _try_later(request, initiative, wait)
    else:
        form = form_class(**form_kwargs)

    return render(
        request,
        "curation/suggest.html",
        {
            "form": form,
            "initiative": initiative,
            "sections": _sections(form, initiative),
            "honeypot": form[HONEYPOT],
        },
    )


def _try_later(request, initiative, wait: int):
    """429: over the limit, with how long until the client may suggest again."""
    response = render(
        request,
        "curation/suggest_later.html",
        {"minutes": max(1, round(wait / 60)), "initiative": initiative},
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


def _sections(form, initiative) -> list[dict]:
    """The form's fields in fieldsets a person recognises."""
    about = ["name", "summary", "description"]
    if initiative is None:
        about += ["organisation_name", "where"]
    groups = [
        ("About the initiative", about, ""),
        ("What it does and for whom", ["role", "cost", "min_age", "max_age"], ""),
        ("How people can take part", ProposalForm.ACCESS_FIELDS, "Tick all that apply."),
        ("How to contact it", ["website", "email", "phone", "address", "postcode"], ""),
        ("Anything else", ["message", "contact_email"], ""),
    ]
    return [
        {"legend": legend, "hint": hint, "fields": [form[name] for name in names]}
        for legend, names, hint in groups
    ]


def _thanks_url(initiative) -> str:
    url = reverse("initiatives:suggest_thanks")
    return f"{url}?initiative={initiative.uuid}" if initiative else url


def suggest_thanks(request):
    """The confirmation page: what happens next."""
    initiative = None
    if request.GET.get("initiative"):
        initiative = _published_initiative(key=request.GET["initiative"])
    return render(request, "curation/suggest_thanks.html", {"initiative": initiative})


# Choice values in words, for the curators' review page.
CHOICE_LABELS = {
    "role": dict(Initiative.Role.choices),
    "cost": dict(Initiative.Cost.choices),
}
