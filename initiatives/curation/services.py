"""Curators' decisions on suggestions: accept one (a new draft, or the proposed
changes applied to its initiative) or reject it with a reason. Each is one
transaction that writes the initiative, its history and the suggestion, and
refuses a suggestion someone else has already decided."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import Contact, Initiative, OpeningTime, Organisation, Suggestion
from ..services import history_baseline, last_change, when_in_words

REJECTION_REASON_MAX = 2000


# A correction may propose an initiative's whole list of opening times or contacts (a
# provider's edit does): the key, the model, and each row's fields.
CHILD_FIELDS = {
    "opening_times": (
        OpeningTime,
        ("closed", "day", "opens_at", "closes_at", "valid_from", "valid_to", "note"),
    ),
    "contacts": (Contact, ("name", "title", "phone", "email")),
}
CHILD_LABELS = {"opening_times": "Opening times", "contacts": "Contacts"}


def plain(value):
    """A value as JSON keeps it (times and dates as ISO text)."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def children_rows(initiative, key: str) -> list[dict]:
    """The initiative's opening times or contacts as plain values."""
    model, fields = CHILD_FIELDS[key]
    return [
        {name: plain(getattr(row, name)) for name in fields}
        for row in model.objects.filter(initiative=initiative).order_by("pk")
    ]


def child_row_in_words(key: str, row: dict) -> str:
    if key == "contacts":
        return ", ".join(str(row[name]) for name in CHILD_FIELDS[key][1] if row.get(name))
    if row.get("closed"):
        return f"Closed {row.get('valid_from') or ''} to {row.get('valid_to') or ''}".strip()
    day = dict(OpeningTime.Day.choices).get(row.get("day"), row.get("day") or "")
    text = f"{day} {str(row.get('opens_at') or '')[:5]}-{str(row.get('closes_at') or '')[:5]}"
    if row.get("valid_from") or row.get("valid_to"):
        text += f" ({row.get('valid_from') or '...'} to {row.get('valid_to') or '...'})"
    return f"{text} {row.get('note') or ''}".strip()


def _replace_children(initiative, key: str, rows: list[dict]) -> None:
    """The initiative's opening times or contacts become `rows` (each checked)."""
    model, fields = CHILD_FIELDS[key]
    history_baseline(
        model=model,
        pks=list(model.objects.filter(initiative=initiative).values_list("pk", flat=True)),
    )
    new = []
    for values in rows:
        child = model(initiative=initiative)
        for name in fields:
            setattr(child, name, model._meta.get_field(name).to_python(values.get(name)))
        try:
            child.full_clean(exclude=["initiative"])
        except ValidationError as exc:
            raise SuggestionError(
                f"The {CHILD_LABELS[key].lower()} could not be applied: {_errors_in_words(exc)}"
            ) from exc
        new.append(child)
    for child in model.objects.filter(initiative=initiative):
        child.delete()
    for child in new:
        child.save()


class SuggestionError(Exception):
    """A suggestion could not be accepted or rejected; the message says why, for a curator."""


def _reviewed_already(suggestion: Suggestion) -> SuggestionError:
    who = suggestion.reviewed_by
    name = (who.get_full_name() or who.get_username()) if who else "a curator"
    return SuggestionError(
        f"This suggestion was already {suggestion.get_status_display().lower()} by {name} "
        f"at {when_in_words(suggestion.reviewed_at)}: nothing was changed."
    )


def _errors_in_words(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(
            f"{'' if name == '__all__' else name.replace('_', ' ').capitalize() + ': '}"
            f"{' '.join(messages)}"
            for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


def suggested_draft(suggestion: Suggestion, fields: Iterable[str]) -> Initiative:
    """An unsaved draft initiative from a suggestion of a new one (the named fields)."""
    from .suggestions import MODEL_FIELDS

    values = {name: suggestion.proposed[name] for name in fields if name in MODEL_FIELDS}
    draft = Initiative(status=Initiative.Status.DRAFT, **values)
    organisation_name = (suggestion.proposed.get("organisation_name") or "").strip()
    if organisation_name:
        matches = list(Organisation.objects.filter(name__iexact=organisation_name)[:2])
        if len(matches) == 1:
            draft.organisation = matches[0]
    created = timezone.localtime(suggestion.created_at)
    draft.source_note = (
        f"Suggested by a member of the public on {created.day} {created.strftime('%B %Y')} "
        f"(suggestion {suggestion.pk}). Check every detail before publishing."
    )
    return draft


@transaction.atomic
def suggestion_accept(
    *,
    suggestion: Suggestion,
    curator,
    fields: Iterable[str] | None = None,
    seen_version: int | None = None,
) -> Initiative:
    """Accept a suggestion: a new initiative becomes a draft, a correction is applied.

    `fields` names the proposed fields to use (None: all of them); for a correction,
    only those are written to the initiative. `seen_version` is the initiative's
    version the curator reviewed the correction against: if the initiative has
    changed since, nothing is applied (the curator compared the proposal with values
    that are no longer there). Returns the draft or the corrected initiative. Raises
    SuggestionError, changing nothing, when it cannot be done.
    """
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if suggestion.status != Suggestion.Status.NEW:
        raise _reviewed_already(suggestion)
    proposed = suggestion.proposed
    chosen = list(proposed) if fields is None else list(dict.fromkeys(fields))
    unknown = [name for name in chosen if name not in proposed]
    if unknown:
        raise SuggestionError(
            f"The suggestion does not propose {', '.join(unknown)}: reload the page."
        )
    reason = f"Accepted suggestion {suggestion.pk}"

    if suggestion.kind == Suggestion.Kind.NEW:
        initiative = suggested_draft(suggestion, chosen)
        try:
            initiative.full_clean(exclude=["slug"], validate_unique=False)
        except ValidationError as exc:
            raise SuggestionError(f"The draft could not be made: {_errors_in_words(exc)}") from exc
        initiative._history_user = curator
        initiative._change_reason = reason
        initiative.save()
        suggestion.created_initiative = initiative
    else:
        if suggestion.initiative_id is None:
            raise SuggestionError(
                "The initiative this correction was for has been deleted: reject the suggestion."
            )
        if not chosen:
            raise SuggestionError("Tick at least one change to apply, or reject the suggestion.")
        initiative = Initiative.objects.select_for_update().get(pk=suggestion.initiative_id)
        if seen_version is not None and initiative.version != seen_version:
            moment, who = last_change(Initiative, initiative.pk)
            raise SuggestionError(
                f"\u201c{initiative}\u201d was changed at {when_in_words(moment)} by {who} "
                "while you were reviewing this suggestion, so nothing was applied. The "
                "\u201cNow\u201d column shows it as it is now: check the changes and apply "
                "them again."
            )
        history_baseline(model=Initiative, pks=[initiative.pk])
        children = [name for name in chosen if name in CHILD_FIELDS]
        for name in chosen:
            if name not in CHILD_FIELDS:
                setattr(initiative, name, proposed[name])
        others = [f.name for f in Initiative._meta.fields if f.name not in chosen]
        try:
            initiative.full_clean(exclude=others, validate_unique=False)
        except ValidationError as exc:
            raise SuggestionError(
                f"The changes could not be applied: {_errors_in_words(exc)}"
            ) from exc
        if suggestion.provider_id is not None:
            # The provider confirmed the record when they sent it.
            provider_user = suggestion.provider.user
            initiative.last_verified_on = timezone.localdate(suggestion.created_at)
            initiative.last_verified_by = provider_user
            initiative.checked_by_provider = True
            reason = f"{reason} from the provider ({provider_user.email})"
        initiative._history_user = curator
        initiative._change_reason = reason
        initiative.save()
        for name in children:
            _replace_children(initiative, name, proposed[name])

    suggestion.status = Suggestion.Status.ACCEPTED
    suggestion.reviewed_by = curator
    suggestion.reviewed_at = timezone.now()
    suggestion.applied_fields = chosen
    suggestion.save()
    return initiative


@transaction.atomic
def suggestion_reject(*, suggestion: Suggestion, curator, reason: str) -> Suggestion:
    """Reject a suggestion, saying why (kept for the record). Raises SuggestionError."""
    reason = (reason or "").strip()
    if not reason:
        raise SuggestionError("Give a reason for rejecting the suggestion.")
    if len(reason) > REJECTION_REASON_MAX:
        raise SuggestionError(
            f"Keep the reason to {REJECTION_REASON_MAX:,} characters (it has {len(reason):,})."
        )
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if suggestion.status != Suggestion.Status.NEW:
        raise _reviewed_already(suggestion)
    suggestion.status = Suggestion.Status.REJECTED
    suggestion.reviewed_by = curator
    suggestion.reviewed_at = timezone.now()
    suggestion.rejection_reason = reason
    suggestion.save()
    return suggestion
