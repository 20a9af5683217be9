"""Where initiatives are: their location follows their postcode.

One initiative is placed as it is saved (`Initiative.save` calls
`places.lookup.locate_initiative`, one indexed query). After the postcode
directory is imported, `initiatives_locate` places every record saved before it
in one UPDATE; the register listens for the directory's `postcodes_imported`
signal, so the postcode app itself knows nothing of initiatives.
"""

from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Left, Length

from places.lookup import KIND_PREFERENCE, LOCATION_FIELDS
from places.models import Postcode

from ..caching import bump_version
from ..models import Initiative


def initiatives_locate(*, queryset=None) -> int:
    """Set the location of initiatives from their postcodes, in one UPDATE. Returns the count.

    Used after an import of postcodes, so that records saved before it get a location.
    """
    queryset = Initiative.objects.all() if queryset is None else queryset
    own = OuterRef("postcode")
    match = (
        Postcode.objects.filter(easting__isnull=False)
        .filter(
            Q(postcode=own)
            | Q(postcode=Left(own, Length(own) - 2))
            | Q(postcode=Left(own, Length(own) - 4))
        )
        .order_by(KIND_PREFERENCE)
    )
    # Only where the directory has an answer: rows it cannot place keep what they have
    # (synthetic benchmark records carry made-up postcodes with their own locations).
    located = (
        queryset.exclude(postcode="")
        .filter(Exists(match))
        .update(**{field: Subquery(match.values(field)[:1]) for field in LOCATION_FIELDS})
    )
    bump_version()
    return located


def on_postcodes_imported(**_signal) -> str:
    """Receiver of places.signals.postcodes_imported: a line for the command's output."""
    return f"Located {initiatives_locate()} initiatives with a postcode."
