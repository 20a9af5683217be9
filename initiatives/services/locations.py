"""Where initiatives are: their location follows their postcode, else their town.

One initiative is placed as it is saved (`Initiative.save` calls `Initiative.locate`:
its postcode in the postcode directory, else the centre of the town it is based in,
from the gazetteer). After the postcode directory is imported, `initiatives_locate`
places every record with a postcode saved before it in one UPDATE; the register
listens for the directory's `postcodes_imported` signal, so the postcode app itself
knows nothing of initiatives.
"""

from django.db.models import Case, Exists, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Left, Length

from places.lookup import KIND_PREFERENCE, LOCATION_FIELDS
from places.models import Postcode

from ..caching import bump_version
from ..models import Area, Initiative, LocationPrecision
from .closure import closure_sync


def _best_match(own):
    """The postcode directory's rows for the postcode `own` refers to, best first: the
    postcode itself, else its sector's or its district's centre."""
    return (
        Postcode.objects.filter(easting__isnull=False)
        .filter(
            Q(postcode=own)
            | Q(postcode=Left(own, Length(own) - 2))
            | Q(postcode=Left(own, Length(own) - 4))
        )
        .order_by(KIND_PREFERENCE)
    )


def initiatives_locate(*, queryset=None) -> int:
    """Set the location of initiatives from their postcodes, in one UPDATE. Returns the count.

    Used after an import of postcodes, so that records saved before it get a location
    (and its precision, and the district it lies in, which the area closure follows);
    a postcode wins over a town.
    """
    queryset = Initiative.objects.all() if queryset is None else queryset
    match = _best_match(OuterRef("postcode"))
    precision = match.annotate(
        precision=Case(
            When(kind=Postcode.Kind.UNIT, then=Value(LocationPrecision.ADDRESS.value)),
            default=Value(LocationPrecision.POSTCODE_AREA.value),
        )
    )
    district = Area.objects.filter(
        kind=Area.Kind.LOCAL_AUTHORITY,
        code=Subquery(
            _best_match(OuterRef(OuterRef("postcode"))).values("local_authority_code")[:1]
        ),
    )
    # Only where the directory has an answer: rows it cannot place keep what they have
    # (synthetic benchmark records carry made-up postcodes with their own locations).
    located = (
        queryset.exclude(postcode="")
        .filter(Exists(match))
        .update(
            **{field: Subquery(match.values(field)[:1]) for field in LOCATION_FIELDS},
            location_precision=Subquery(precision.values("precision")[:1]),
            location_district=Subquery(district.values("pk")[:1]),
        )
    )
    # The located districts changed in bulk (no signals): the area closure follows.
    if located:
        if queryset is None or not queryset.query.where:
            closure_sync()
        else:
            closure_sync(initiative_ids=queryset.values_list("pk", flat=True))
    bump_version()
    return located


def on_postcodes_imported(**_signal) -> str:
    """Receiver of places.signals.postcodes_imported: a line for the command's output."""
    return f"Located {initiatives_locate()} initiatives with a postcode."
