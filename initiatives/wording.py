"""Register values in plain words for public pages: ages, roles, funding
dependency, distances, and a user's own text shortened for a message."""

from .models import FundingDependency, Initiative

DEPENDENCY_IN_WORDS = {
    FundingDependency.DIVERSE: "Diverse: no single funder gives a quarter or more of its income.",
    FundingDependency.MODERATE: (
        "Moderately dependent: its largest funder gives between a quarter and half of its income."
    ),
    FundingDependency.DEPENDENT: (
        "Dependent: its largest funder gives between half and three quarters of its income."
    ),
    FundingDependency.HIGHLY_DEPENDENT: (
        "Highly dependent: its largest funder gives three quarters or more of its income."
    ),
    FundingDependency.UNKNOWN: "Unknown: we have no funding figures for this organisation yet.",
}
ROLE_IN_WORDS = {
    Initiative.Role.SERVICE_PROVIDER: "Service provider: delivers services directly.",
    Initiative.Role.CAMPAIGNING: "Campaigning group: informs, advocates and campaigns.",
    Initiative.Role.BOTH: "Both: delivers services and campaigns.",
}
ROLE_OTHERS = {
    Initiative.Role.SERVICE_PROVIDER: "Other service providers",
    Initiative.Role.CAMPAIGNING: "Other campaigning groups",
    Initiative.Role.BOTH: "Others that both provide services and campaign",
}


NOT_RECORDED = "Not recorded"


def ages_in_words(min_age: int | None, max_age: int | None) -> str:
    """ "18 and over", "Up to 25", "16 to 25", "All ages" (from 0, no upper age) or
    "Not recorded" (neither age recorded: nobody has said it is for all ages)."""
    if min_age is None and max_age is None:
        return NOT_RECORDED
    if max_age is None:
        return "All ages" if min_age == 0 else f"{min_age} and over"
    if not min_age:
        return f"Up to {max_age}"
    return f"{min_age} to {max_age}"


def lifecycle_in_words(initiative: Initiative) -> str:
    """ "Running since 2012", "Ended in 2019", "Ended (year not recorded)", "Planned",
    or "Not recorded"."""
    lifecycle, started, ended = initiative.lifecycle, initiative.started_in, initiative.ended_in
    Lifecycle = Initiative.Lifecycle
    if lifecycle == Lifecycle.ENDED:
        if ended is not None:
            return f"Ended in {ended}" + (f" (started in {started})" if started else "")
        return "Ended (year not recorded)" + (f"; started in {started}" if started else "")
    if lifecycle == Lifecycle.RUNNING:
        return f"Running since {started}" if started else "Running"
    if lifecycle == Lifecycle.PAUSED:
        return "Paused" + (f" (started in {started})" if started else "")
    if lifecycle == Lifecycle.PLANNED:
        return f"Planned to start in {started}" if started else "Planned"
    if started:
        return f"Started in {started}; whether it still runs is not recorded"
    return NOT_RECORDED


def shown(value: str, limit: int = 60) -> str:
    """A user's value, shortened for a message (templates escape it)."""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


def short_label(label: str) -> str:
    """ "Diverse (no funder gives 25% or more)" -> "Diverse"."""
    return label.split(" (")[0]


def distance_in_words(distance_m: float) -> str:
    if distance_m < 100:
        return "under 0.1 km away"
    return f"{distance_m / 1000:.1f} km away"
