"""Curators' decisions on suggestions: accept one (a new draft, or the proposed
changes applied to its initiative) or reject it with a reason. Each is one
transaction that writes the initiative, its history and the suggestion, and
refuses a suggestion someone else has already decided."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import Initiative, Organisation, Suggestion
from ..services import history_baseline, last_change, when_in_words

REJECTION_REASON_MAX = 2000


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
        for name in chosen:
            setattr(initiative, name, proposed[name])
        others = [f.name for f in Initiative._meta.fields if f.name not in chosen]
        try:
            initiative.full_clean(exclude=others, validate_unique=False)
        except ValidationError as exc:
            raise SuggestionError(
                f"The changes could not be applied: {_errors_in_words(exc)}"
            ) from exc
        initiative._history_user = curator
        initiative._change_reason = reason
        initiative.save()

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
