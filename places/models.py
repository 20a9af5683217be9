"""UK postcodes and where they are, from the ONS Postcode Directory."""

from django.db import models


class Postcode(models.Model):
    """A unit postcode (WA7 1AB), or the centre of a sector (WA7 1) or district (WA7).

    Filled by `manage.py import_postcodes`. Grid references are British
    National Grid metres for the whole UK (Northern Ireland's Irish Grid
    references are converted on import), so that distances are Pythagoras on
    easting and northing.
    """

    class Kind(models.TextChoices):
        UNIT = "unit", "Postcode"
        SECTOR = "sector", "Postcode sector"
        DISTRICT = "district", "Postcode district"

    postcode = models.CharField(
        max_length=8,
        help_text="Upper case with one space: WA7 1AB, WA7 1 (a sector) or WA7 (a district).",
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.UNIT)
    district = models.CharField("district (outward code)", max_length=4)
    sector = models.CharField(max_length=6, blank=True)
    local_authority_code = models.CharField(
        "local authority code",
        max_length=9,
        blank=True,
        help_text=(
            "ONS code of the local authority district, such as E06000006 for Halton. "
            "For a sector or district: the one most of its postcodes lie in."
        ),
    )
    easting = models.IntegerField(null=True, blank=True)
    northing = models.IntegerField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    unit_count = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="For a sector or district: how many postcodes its centre is the mean of.",
    )

    class Meta:
        ordering = ["postcode"]
        # A constraint rather than unique=True: on PostgreSQL the latter adds a second,
        # LIKE-pattern index over 2.7 million rows that no query here uses.
        constraints = [models.UniqueConstraint(fields=["postcode"], name="postcode_unique")]

    def __str__(self) -> str:
        return self.postcode

    @property
    def has_location(self) -> bool:
        return self.easting is not None and self.northing is not None


class PostcodeImport(models.Model):
    """One finished step of an import, so that a stopped import carries on where it stopped."""

    dataset = models.CharField(max_length=200, help_text="Source package and version.")
    scope = models.CharField(
        max_length=200, help_text='"all", or the local authority codes imported.'
    )
    step = models.CharField(max_length=40, help_text="A data file, or the derived centres.")
    rows = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "scope", "step"], name="postcode_import_step_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dataset} {self.scope} {self.step}"
