"""The initiatives of a shortlist, read in one go, with what someone about to go needs
in the initiative page's own words ("Not recorded" where nobody recorded it)."""

from dataclasses import dataclass, field

from django.utils import timezone

from ..models import Initiative
from ..wording import what_someone_needs
from .store import MAX_ITEMS


@dataclass
class Entries:
    """The published initiatives of a list of ids, in its order (at most MAX_ITEMS), and
    how many ids were left out: not on the register (unknown or archived), or past the cap."""

    rows: list[dict] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    over_cap: int = 0

    @property
    def ids(self) -> list[int]:
        return [row["initiative"].pk for row in self.rows]

    @property
    def initiatives(self) -> list[Initiative]:
        return [row["initiative"] for row in self.rows]


def read(ids: list[int], *, details: bool = True) -> Entries:
    """One query for the initiatives and one per prefetch, whatever the number of ids."""
    wanted = ids[: MAX_ITEMS * 4]  # enough to fill the list when some are gone
    queryset = Initiative.objects.published().filter(pk__in=wanted)
    if details:
        queryset = queryset.prefetch_related(
            "topics", "population_groups", "opening_times", "contacts"
        )
    found = {initiative.pk: initiative for initiative in queryset}
    entries = Entries()
    now = timezone.now()
    for index, pk in enumerate(ids):
        if len(entries.rows) >= MAX_ITEMS or index >= len(wanted):
            entries.over_cap += 1
            continue
        initiative = found.get(pk)
        if initiative is None:
            entries.missing.append(pk)
            continue
        entries.rows.append(
            what_someone_needs(initiative, now) if details else {"initiative": initiative}
        )
    return entries


def plain_text(initiatives: list[Initiative], absolute, share_url: str = "") -> str:
    """The list as plain text for a text message or an email: each initiative's name,
    phone and website where recorded, and its page here. Never the note."""
    lines = []
    for number, initiative in enumerate(initiatives, start=1):
        lines.append(f"{number}. {initiative.name}")
        if initiative.phone:
            lines.append(f"   Phone: {initiative.phone}")
        if initiative.website:
            lines.append(f"   Website: {initiative.website}")
        lines.append(f"   Details: {absolute(initiative.get_absolute_url())}")
    if share_url:
        lines.append("")
        lines.append(f"The whole list: {share_url}")
    return "\n".join(lines)


def left_out_notes(entries: Entries, *, not_ids: int = 0, too_many: int = 0) -> list[str]:
    """What was left out of a list, in words."""
    notes = []
    gone = len(entries.missing) + not_ids
    if gone:
        notes.append(
            f"{gone} of the initiatives asked for {'is' if gone == 1 else 'are'} not on the "
            "register (the address was wrong, or the record was archived), so "
            f"{'it was' if gone == 1 else 'they were'} left out."
        )
    over = entries.over_cap + too_many
    if over:
        notes.append(
            f"A shortlist holds at most {MAX_ITEMS} initiatives: the first {MAX_ITEMS} are "
            f"shown and {over} more {'was' if over == 1 else 'were'} left out."
        )
    return notes
