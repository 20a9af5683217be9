"""The register's data model: areas, vanguard sites, vocabularies, organisations and
their funding, initiatives, and suggestions from the public."""

import uuid
from collections.abc import Container
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, router, transaction
from django.db.models import F, Max, Q, Sum
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

from places import gazetteer
from places.lookup import LOCATION_FIELDS, best_match
from places.models import Postcode

from .querysets import AreaQuerySet, InitiativeQuerySet
from .validators import (
    PUBLIC_TEXT_FIELDS,
    normalise_phone,
    normalise_postcode,
    normalise_registration_number,
    notes_to_self,
    validate_charity_number,
    validate_company_number,
    validate_email_domain,
    validate_postcode,
    validate_uk_phone,
)

MAX_AGE = 120
SHARE_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
AGE_VALIDATORS = [MinValueValidator(0), MaxValueValidator(MAX_AGE)]
YEAR_VALIDATORS = [MinValueValidator(1900), MaxValueValidator(2100)]
# Shares are written to one decimal place, as sources give them, so the shares of one
# year may add up to a little over 100: half a tenth for each (KeyRing's three lines for
# 2020-21 are 94.5 + 1.6 + 4.0 = 100.1 of one total).
SHARE_ROUNDING = Decimal("0.05")
# Sent once an organisation's funding figures were copied onto its initiatives in bulk
# (no save signals): `organisation`. The facet tally follows (services.tally).
funding_recomputed = Signal()


def share_total_too_high(total: Decimal, lines: int) -> bool:
    """Whether `lines` shares of one year adding up to `total` exceed all of the income."""
    return total > 100 + SHARE_ROUNDING * lines


def unique_slug(instance: models.Model, value: str, *, max_length: int = 80) -> str:
    """A slug from `value` that no other row of the model uses ("name", "name-2", ...)."""
    base = slug_base(value, max_length=max_length)
    model = type(instance)
    others = (
        model._default_manager.exclude(pk=instance.pk) if instance.pk else model._default_manager
    )
    taken = set(others.filter(slug__startswith=base).values_list("slug", flat=True))
    return free_slug(base, taken)


def slug_base(value: str, *, max_length: int = 80) -> str:
    """The slug of `value`, short enough to take a "-<n>" suffix; "item" when nothing is left."""
    return slugify(value)[: max_length - 8].strip("-") or "item"


def free_slug(base: str, taken: Container[str]) -> str:
    """`base`, or the first of "base-2", "base-3", ... that is not in `taken`."""
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base}-{n}"
        n += 1
    return candidate


class NormalisedCharField(models.CharField):
    """Text kept in one written form: checked by `validator`, stored as `normalise`
    gives it (on assignment through forms and on every save). Subclasses set the three."""

    default_max_length: int
    validator: staticmethod
    normalise: staticmethod

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", self.default_max_length)
        kwargs.setdefault("validators", [self.validator])
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return self.normalise(value) if value else value

    def pre_save(self, model_instance, add):
        value = self.to_python(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value


class PostcodeField(NormalisedCharField):
    """A UK postcode, stored upper case with one space before the inward code."""

    default_max_length = 8
    validator = staticmethod(validate_postcode)
    normalise = staticmethod(normalise_postcode)


# Versions -------------------------------------------------------------------------


class VersionedHistory(HistoricalRecords):
    """History whose versions are unique per record: two writes can never both record
    the same version of one record (a deletion repeats the last version it removed).

    A change to a tag field that the history keeps (m2m_fields) is a version of its
    own: the record's version moves on before it is recorded.
    """

    def get_meta_options(self, model):
        meta = super().get_meta_options(model)
        meta["constraints"] = [
            models.UniqueConstraint(
                fields=["id", "version"],
                condition=~Q(history_type="-"),
                name=f"{model._meta.model_name}_history_version_unique",
            )
        ]
        return meta

    def m2m_changed(self, instance, action, attr, pk_set, reverse, **kwargs):
        recorded = (
            action in ("post_add", "post_remove", "post_clear")
            and isinstance(instance, self.cls)
            and not hasattr(instance, "skip_history_when_saving")
            and getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
        )
        if not recorded:
            return super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)
        using = router.db_for_write(type(instance), instance=instance)
        with transaction.atomic(using=using, savepoint=False):
            instance.version = next_version(instance, using)
            type(instance)._default_manager.using(using).filter(pk=instance.pk).update(
                version=instance.version
            )
            return super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)


def next_version(instance: models.Model, using: str) -> int:
    """The record's stored version plus one, read under a row lock (in a transaction)."""
    stored = (
        type(instance)
        ._default_manager.using(using)
        .select_for_update()
        .filter(pk=instance.pk)
        .values_list("version", flat=True)
        .first()
    )
    return ((instance.version or 0) if stored is None else stored) + 1


def mark_read_under_lock(instance: models.Model, version: int | None = None) -> None:
    """Say that `instance`'s version (or `version`) was read under its row lock in the
    current transaction, so that its next save need not read it again (bulk writes)."""
    if version is not None:
        instance.version = version
    instance.version_read_under_lock = True


def save_next_version(instance: models.Model, save, *args, **kwargs) -> None:
    """Save `instance` (with `save`) as its stored version plus one, read under a row lock.

    Every write path compares the version it read before it writes (the admin forms,
    the import, suggestion approvals) or locks the rows first (bulk actions); the
    number written here is taken from the stored row, locked until the transaction
    commits, so a write that read an older copy can never record a version twice.
    """
    using = kwargs.get("using") or router.db_for_write(type(instance), instance=instance)
    with transaction.atomic(using=using, savepoint=False):
        if getattr(instance, "version_read_under_lock", False):
            # The caller read the row under its lock in this transaction (mark_read_under_lock).
            del instance.version_read_under_lock
            instance.version = (instance.version or 0) + 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
        elif not instance._state.adding and instance.pk is not None:
            instance.version = next_version(instance, using)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
        save(*args, **kwargs)


class UKPhoneField(NormalisedCharField):
    """A UK phone number, stored as written the usual way (020 7946 0000); +44 becomes 0."""

    default_max_length = 40
    validator = staticmethod(validate_uk_phone)
    normalise = staticmethod(normalise_phone)


def email_field(*args, **kwargs) -> models.EmailField:
    """An email address that must name a domain (name@example.org, not name@localhost)."""
    return models.EmailField(*args, validators=[validate_email_domain], **kwargs)


class SluggedModel(models.Model):
    """A named thing with a generated, unique slug for its URL."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(self, self.name)
        super().save(*args, **kwargs)


class Area(SluggedModel):
    class Kind(models.TextChoices):
        # From the widest to the most local: pages and filters list kinds in this order.
        NATION = "nation", "Nation"
        NHS_REGION = "nhs_region", "NHS England region"
        ICB = "icb", "Integrated care board"
        HEALTH_BOARD = "health_board", "Health board"
        HSC_TRUST = "hsc_trust", "Health and social care trust"
        LOCAL_AUTHORITY = "local_authority", "Local authority"

    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    code = models.CharField(
        "official code",
        max_length=12,
        blank=True,
        help_text="ONS or NHS code, such as E06000006 for Halton or E54000008 for an ICB.",
    )
    ods_code = models.CharField("ODS code", max_length=8, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    other_parents = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="shared_children",
        help_text="Other areas this one also lies in (a district split between ICBs).",
    )
    source_note = models.TextField(blank=True)

    objects = AreaQuerySet.as_manager()

    class Meta(SluggedModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~Q(code=""), name="area_code_unique_when_set"
            )
        ]

    def get_absolute_url(self) -> str:
        return reverse("initiatives:area_detail", args=[self.slug])


class VanguardSite(SluggedModel):
    class CareModel(models.TextChoices):
        PACS = "pacs", "Integrated primary and acute care system"
        MCP = "mcp", "Multispecialty community provider"
        EHCH = "ehch", "Enhanced health in care homes"
        UEC = "uec", "Urgent and emergency care network"
        ACC = "acc", "Acute care collaboration"

    care_model = models.CharField(max_length=8, choices=CareModel.choices, db_index=True)
    areas = models.ManyToManyField(Area, blank=True, related_name="vanguard_sites")
    social_movement_site = models.BooleanField(
        "health as a social movement site",
        default=False,
        help_text=(
            "One of the six vanguards in NHS England's health as a social movement programme."
        ),
    )
    lead_organisations = models.TextField(blank=True)
    area_description = models.TextField(blank=True)
    source_note = models.TextField(blank=True)


class Condition(SluggedModel):
    is_rare = models.BooleanField("rare condition", default=False, db_index=True)


class Topic(SluggedModel):
    pass


class PopulationGroup(SluggedModel):
    pass


class Timestamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


class FundingDependency(models.TextChoices):
    DIVERSE = "diverse", "Diverse (no funder gives 25% or more)"
    MODERATE = "moderate", "Moderate (largest funder 25-49%)"
    DEPENDENT = "dependent", "Dependent (largest funder 50-74%)"
    HIGHLY_DEPENDENT = "highly_dependent", "Highly dependent (largest funder 75% or more)"
    # No share of income recorded: no funding lines, or funders known without the total.
    UNKNOWN = "unknown", "Not known (no share of income recorded)"

    @classmethod
    def for_largest_share(cls, share: Decimal | None) -> "FundingDependency":
        if share is None:
            return cls.UNKNOWN
        if share >= 75:
            return cls.HIGHLY_DEPENDENT
        if share >= 50:
            return cls.DEPENDENT
        if share >= 25:
            return cls.MODERATE
        return cls.DIVERSE


class Organisation(Timestamped):
    class LegalForm(models.TextChoices):
        REGISTERED_CHARITY = "registered_charity", "Registered charity"
        CIO = "cio", "Charitable incorporated organisation"
        CIC = "cic", "Community interest company"
        COOPERATIVE = "cooperative", "Co-operative or mutual"
        COMPANY_LIMITED_BY_GUARANTEE = "clg", "Company limited by guarantee"
        UNINCORPORATED = "unincorporated", "Unincorporated group"
        NHS_BODY = "nhs_body", "NHS body"
        OTHER = "other", "Other"

    class IncomeBand(models.TextChoices):
        UNDER_10K = "under_10k", "Under £10,000"
        FROM_10K = "10k_100k", "£10,000 to £100,000"
        FROM_100K = "100k_1m", "£100,000 to £1 million"
        FROM_1M = "1m_10m", "£1 million to £10 million"
        OVER_10M = "over_10m", "Over £10 million"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True, blank=True)
    legal_form = models.CharField(
        max_length=20, choices=LegalForm.choices, blank=True, db_index=True
    )
    charity_number = models.CharField(
        max_length=12, blank=True, validators=[validate_charity_number]
    )
    company_number = models.CharField(
        max_length=8, blank=True, validators=[validate_company_number]
    )
    website = models.URLField(blank=True)
    annual_income_band = models.CharField(max_length=12, choices=IncomeBand.choices, blank=True)
    members = models.PositiveIntegerField(null=True, blank=True)
    volunteers = models.PositiveIntegerField(null=True, blank=True)
    paid_staff = models.PositiveIntegerField(null=True, blank=True)
    source_note = models.TextField(blank=True)

    # Derived from the funding lines of the latest year (recompute_funding keeps them in step).
    funding_year = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    largest_funder_share = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, editable=False
    )
    nhs_share = models.DecimalField(
        "NHS share", max_digits=5, decimal_places=2, null=True, blank=True, editable=False
    )
    funding_dependency = models.CharField(
        max_length=20,
        choices=FundingDependency.choices,
        default=FundingDependency.UNKNOWN,
        editable=False,
        db_index=True,
    )

    # Raised by every save (save_next_version); the admin form carries it.
    version = models.PositiveIntegerField(default=1)

    # Every save and deletion, with who made it (the derived funding figures above are
    # copied in by recompute_funding's update(), which history does not see).
    history = VersionedHistory()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        self.charity_number = normalise_registration_number(self.charity_number)
        self.company_number = normalise_registration_number(self.company_number)

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(self, self.name)
        save_next_version(self, super().save, *args, **kwargs)

    def funding_figures(self) -> dict:
        """Largest single share, NHS share and dependency band for the latest year whose
        lines give a share of income (a source that gave the total too).

        A line whose payer is not named (funder type "other", no funder name: a line of
        the accounts such as "charitable activities") is not a single funder, so it never
        sets the largest share. Funders known only by amount leave the band "not known".
        """
        with_share = self.funding_lines.filter(share__isnull=False, year__isnull=False)
        latest = with_share.aggregate(year=Max("year"))["year"]
        unknown = {
            "funding_year": None,
            "largest_funder_share": None,
            "nhs_share": None,
            "funding_dependency": FundingDependency.UNKNOWN,
        }
        if latest is None:
            return unknown
        lines = with_share.filter(year=latest)
        payer_not_named = Q(funder_type=FundingLine.FunderType.OTHER, funder_name="")
        figures = lines.aggregate(
            largest=Max("share", filter=~payer_not_named),
            total=Sum("share"),
            nhs=Sum("share", filter=Q(funder_type=FundingLine.FunderType.NHS)),
            payer_not_named=models.Count("pk", filter=payer_not_named),
        )
        largest = figures["largest"]
        nhs = figures["nhs"]
        if nhs is None and figures["total"] >= 100 and not figures["payer_not_named"]:
            # No NHS line among named lines that account for all its income: truly none.
            nhs = Decimal("0")
        return {
            "funding_year": latest,
            "largest_funder_share": largest,
            # None when the lines leave part of its income unaccounted for.
            "nhs_share": nhs,
            "funding_dependency": FundingDependency.for_largest_share(largest),
        }

    def recompute_funding(self) -> None:
        """Store the derived funding figures here and on this organisation's initiatives."""
        figures = self.funding_figures()
        for field, value in figures.items():
            setattr(self, field, value)
        with transaction.atomic():
            Organisation.objects.filter(pk=self.pk).update(**figures)
            # Copied onto initiatives so that the listing filters and sorts without a join;
            # locked in primary-key order first, as every bulk write locks them.
            list(self.initiatives.order_by("pk").select_for_update().values_list("pk"))
            self.initiatives.update(
                funding_dependency=figures["funding_dependency"],
                largest_funder_share=figures["largest_funder_share"],
                nhs_share=figures["nhs_share"],
            )
            funding_recomputed.send(sender=Organisation, organisation=self)


class FundingLine(models.Model):
    class FunderType(models.TextChoices):
        NHS = "nhs", "NHS"
        LOCAL_AUTHORITY = "local_authority", "Local authority"
        CENTRAL_GOVERNMENT = "central_government", "Central government"
        NATIONAL_LOTTERY = "national_lottery", "National Lottery"
        TRUSTS_FOUNDATIONS = "trusts_foundations", "Trusts and foundations"
        CORPORATE = "corporate", "Corporate"
        INDIVIDUAL_DONATIONS = "individual_donations", "Individual donations"
        TRADING_INCOME = "trading_income", "Trading income"
        MEMBERSHIP_FEES = "membership_fees", "Membership fees"
        OTHER = "other", "Other"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="funding_lines"
    )
    funder_type = models.CharField(max_length=24, choices=FunderType.choices)
    funder_name = models.CharField(max_length=200, blank=True)
    amount_gbp = models.PositiveBigIntegerField(
        "amount (£)", null=True, blank=True, help_text="The source's figure, in pounds."
    )
    total_income_gbp = models.PositiveBigIntegerField(
        "total income (£)",
        null=True,
        blank=True,
        help_text="The organisation's total income that year, as the same source gives it.",
    )
    share = models.DecimalField(
        "share of income (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=SHARE_VALIDATORS,
        help_text="Only where the same source gives the total income; empty otherwise.",
    )
    financial_year_end = models.DateField(
        null=True, blank=True, help_text="The last day of the accounts' year, where known."
    )
    year = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1900), MaxValueValidator(2100)],
        help_text="The financial year the line is for, by its starting calendar year.",
    )
    source = models.TextField(blank=True, help_text="Where the figure was read (published).")
    source_note = models.TextField(
        "note for curators", blank=True, help_text="Doubts and caveats; never published."
    )
    # Raised by every save (save_next_version); the organisation's form carries it per line.
    version = models.PositiveIntegerField(default=1)

    history = VersionedHistory()

    class Meta:
        # The latest first, the largest first; unknowns last on every database.
        ordering = [
            models.F("year").desc(nulls_last=True),
            models.F("share").desc(nulls_last=True),
            models.F("amount_gbp").desc(nulls_last=True),
            "pk",
        ]
        indexes = [models.Index(fields=["organisation", "year"])]

    def __str__(self) -> str:
        funder = self.funder_name or self.get_funder_type_display()
        share = f" {format(self.share.normalize(), 'f')}%" if self.share is not None else ""
        return f"{funder}{share} ({self.period})"

    @staticmethod
    def start_year(financial_year_end) -> int:
        """The calendar year a 12-month financial year ending on that day started in."""
        return financial_year_end.year - (0 if financial_year_end.month == 12 else 1)

    @property
    def period(self) -> str:
        """The year in words: "year to 31 March 2021", "2013-14", or "year not stated"."""
        if self.financial_year_end is not None:
            end = self.financial_year_end
            return f"year to {end.day} {end:%B %Y}"
        if self.year is not None:
            return f"{self.year}-{(self.year + 1) % 100:02d}"
        return "year not stated"

    def clean(self):
        if self.financial_year_end is not None and self.year is None:
            self.year = self.start_year(self.financial_year_end)
        if self.share is None or self.year is None or self.organisation_id is None:
            return
        others = (
            FundingLine.objects.filter(
                organisation_id=self.organisation_id, year=self.year, share__isnull=False
            )
            .exclude(pk=self.pk)
            .aggregate(total=Sum("share"), lines=models.Count("pk"))
        )
        if share_total_too_high((others["total"] or 0) + self.share, others["lines"] + 1):
            raise ValidationError(
                {
                    "share": (
                        f"Shares for {self.year} would add up to "
                        f"{(others['total'] or 0) + self.share}%. "
                        "Shares of one year can add up to at most 100%."
                    )
                }
            )

    def save(self, *args, **kwargs):
        save_next_version(self, super().save, *args, **kwargs)
        self.organisation.recompute_funding()

    def delete(self, *args, **kwargs):
        organisation = self.organisation
        result = super().delete(*args, **kwargs)
        organisation.recompute_funding()
        return result


# The initiative's tags that its history keeps with each version.
INITIATIVE_HISTORY_M2M = ["topics", "conditions", "population_groups", "areas"]


class LocationPrecision(models.TextChoices):
    """How near an initiative's location is to where it is: from its own postcode, from
    the centre of its postcode sector or district, or from the centre of its town. Blank:
    it has no location."""

    ADDRESS = "address", "Its postcode"
    POSTCODE_AREA = "postcode_area", "Approximate: the centre of its postcode sector or district"
    TOWN = "town", "Approximate: the centre of its town"


# The fields a location sets (the point, how precise it is, the district it lies in).
LOCATED_FIELDS = (*LOCATION_FIELDS, "location_precision", "location_district")


def validate_town(value: str) -> None:
    """A town, city or village the gazetteer knows, as one place (a name several places
    share must be given as one of their keys, such as newport-2641598)."""
    if value:
        gazetteer.resolve_one(value)


# What `Initiative.objects.published().current()` selects, as a condition for a partial
# index (the same SQL, so that the planner sees the index holds every row it asks for).
CURRENT_PUBLISHED = Q(status="published") & ~Q(lifecycle="ended")


class Initiative(Timestamped):
    Precision = LocationPrecision

    class Role(models.TextChoices):
        SERVICE_PROVIDER = "service_provider", "Service provider"
        CAMPAIGNING = "campaigning", "Campaigning group"
        BOTH = "both", "Both"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    class Cost(models.TextChoices):
        FREE = "free", "Free"
        SOME_COSTS = "some_costs", "Some costs"
        PAID = "paid", "Paid"

    class Lifecycle(models.TextChoices):
        """Where it is in its life; blank when nobody has recorded it."""

        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        ENDED = "ended", "Ended"
        PLANNED = "planned", "Planned"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="initiatives",
    )
    summary = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, db_index=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="initiatives")
    conditions = models.ManyToManyField(Condition, blank=True, related_name="initiatives")
    population_groups = models.ManyToManyField(
        PopulationGroup, blank=True, related_name="initiatives", verbose_name="who it is for"
    )
    areas = models.ManyToManyField(
        Area, blank=True, related_name="initiatives", verbose_name="areas served"
    )
    national = models.BooleanField(
        default=False, db_index=True, help_text="Serves the whole of the UK or of a nation."
    )
    vanguard = models.ForeignKey(
        VanguardSite,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="initiatives",
    )
    # How to access: yes, no, or None when nobody has recorded it.
    self_referral = models.BooleanField(null=True, blank=True, default=None)
    professional_referral = models.BooleanField(null=True, blank=True, default=None)
    drop_in = models.BooleanField(null=True, blank=True, default=None)
    membership = models.BooleanField(null=True, blank=True, default=None)
    waiting_list = models.BooleanField("has a waiting list", null=True, blank=True, default=None)
    # Who to contact for each way in: a short line, public ("Call Sam on the number below").
    self_referral_contact = models.CharField(
        "self-referral: who to contact", max_length=200, blank=True
    )
    professional_referral_contact = models.CharField(
        "referral by GP or social prescriber: who to contact", max_length=200, blank=True
    )
    drop_in_contact = models.CharField("drop-in: who to contact", max_length=200, blank=True)
    waiting_list_contact = models.CharField(
        "waiting list: who to contact", max_length=200, blank=True
    )
    membership_contact = models.CharField("membership: who to contact", max_length=200, blank=True)
    cost = models.CharField(max_length=12, choices=Cost.choices, blank=True)
    cost_detail = models.CharField(
        "cost in detail",
        max_length=200,
        blank=True,
        help_text="One line, such as \u201c\u00a33 a session, free for carers\u201d.",
    )
    by_appointment = models.BooleanField("by appointment only", null=True, blank=True, default=None)
    opening_notes = models.CharField(
        "notes on opening times",
        max_length=300,
        blank=True,
        help_text="Anything the weekly times cannot say, such as \u201ccall before coming\u201d.",
    )
    languages = models.CharField(
        "languages spoken",
        max_length=300,
        blank=True,
        help_text="Separated by ;, such as \u201cEnglish; Welsh\u201d.",
    )
    # Accessibility of the place it runs from: yes, no, or None when nobody has recorded it.
    step_free_access = models.BooleanField(null=True, blank=True, default=None)
    hearing_loop = models.BooleanField(null=True, blank=True, default=None)
    bsl = models.BooleanField("British Sign Language (BSL)", null=True, blank=True, default=None)
    accessibility_note = models.CharField("accessibility in detail", max_length=300, blank=True)
    min_age = models.PositiveSmallIntegerField(
        "minimum age", null=True, blank=True, validators=AGE_VALIDATORS
    )
    max_age = models.PositiveSmallIntegerField(
        "maximum age", null=True, blank=True, validators=AGE_VALIDATORS
    )
    website = models.URLField(blank=True, max_length=300)
    email = email_field(blank=True)
    phone = UKPhoneField(blank=True)
    address = models.TextField(blank=True)
    postcode = PostcodeField(blank=True, db_index=True)
    # Location, from the postcode (Ordnance Survey grid metres and WGS84 degrees).
    easting = models.IntegerField(null=True, blank=True, editable=False)
    northing = models.IntegerField(null=True, blank=True, editable=False)
    latitude = models.FloatField(null=True, blank=True, editable=False)
    longitude = models.FloatField(null=True, blank=True, editable=False)
    located_in_town = models.CharField(
        "based in (town)",
        max_length=100,
        blank=True,
        validators=[validate_town],
        help_text=(
            "The town, city or village it is based in, when a source says so: its centre "
            "stands for its location (marked approximate) until a postcode gives a better "
            "one. A name several places share needs its key, such as newport-2641598."
        ),
    )
    location_precision = models.CharField(
        max_length=16, choices=LocationPrecision.choices, blank=True, editable=False
    )
    # The local authority district the location lies in: the initiative is "here" for it.
    location_district = models.ForeignKey(
        "Area",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="+",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    last_verified_on = models.DateField(null=True, blank=True, db_index=True)
    last_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # Whether the last check was the provider's own (their edit or "nothing has changed"):
    # the public page then reads "Confirmed by the provider on ...". A curator's check
    # clears it.
    checked_by_provider = models.BooleanField(default=False, editable=False)
    source_note = models.TextField("source", blank=True, help_text="How we know: links, documents.")
    curator_note = models.TextField(
        blank=True,
        help_text=(
            "For curators only: what is still to check, doubts, to-dos. Never published, "
            "searched, exported or sent by the API."
        ),
    )
    lifecycle = models.CharField(
        max_length=10,
        choices=Lifecycle.choices,
        blank=True,
        db_index=True,
        help_text="Leave empty when no source says whether it is running.",
    )
    started_in = models.PositiveSmallIntegerField(
        "year started", null=True, blank=True, validators=YEAR_VALIDATORS
    )
    ended_in = models.PositiveSmallIntegerField(
        "year ended", null=True, blank=True, validators=YEAR_VALIDATORS
    )
    # Copied from the organisation (see Organisation.recompute_funding).
    funding_dependency = models.CharField(
        max_length=20,
        choices=FundingDependency.choices,
        default=FundingDependency.UNKNOWN,
        editable=False,
        db_index=True,
    )
    largest_funder_share = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, editable=False, db_index=True
    )
    nhs_share = models.DecimalField(
        "NHS share", max_digits=5, decimal_places=2, null=True, blank=True, editable=False
    )
    # Whether the summary or description reads like a note to self (validators'
    # notes_to_self), kept by save() so that the curators' work queue counts them from an
    # index instead of running the check over every record's text.
    notes_in_public_text = models.BooleanField(default=False, editable=False)
    # Raised by every save (save_next_version); the admin form carries it so that a second
    # curator editing the same record is refused instead of silently overwriting the first
    # one's changes.
    version = models.PositiveIntegerField(default=1)

    objects = InitiativeQuerySet.as_manager()
    # Every save and deletion, with who made it and the tags at that moment.
    history = VersionedHistory(m2m_fields=INITIATIVE_HISTORY_M2M)

    class Meta:
        ordering = ["name"]
        indexes = [
            # With the id, a page of the listing (ordered by name, then id) reads the index alone.
            # A listing page in name order reads only this index; lifecycle is in it so
            # that leaving out ended initiatives needs no visit to the table.
            models.Index(
                fields=["status", "name", "id", "lifecycle"], name="initiative_listing_order"
            ),
            models.Index(fields=["status", "-last_verified_on"], name="initiative_status_verified"),
            models.Index(fields=["status", "role"], name="initiative_status_role"),
            models.Index(fields=["easting", "northing"], name="initiative_grid"),
            # Few are national: a postcode search finds them all through this small index,
            # and counts the current published ones from it alone (PostgreSQL: status,
            # lifecycle and the district it is based in carried in it; at a million
            # records 50,000 of them, 0.07 s where reading each one's row took 0.4 s).
            models.Index(
                fields=["id"],
                include=["status", "lifecycle", "location_district"],
                condition=Q(national=True),
                name="initiative_national",
            ),
            # The same records in name order: an area page's national section reads its
            # page of them from here, where sorting all of their names took 0.5 s at a
            # million (IdsFirstPaginator's ordered_parts).
            models.Index(
                fields=["name", "id"],
                include=["status", "lifecycle", "location_district"],
                condition=Q(national=True),
                name="initiative_national_name",
            ),
            # The insights page's figures over the current published records (the
            # condition spelt as `published().current()` spells it, so that the planner
            # can use them): each organisation's band and roles, read from the index
            # alone (at a million records 0.2 s where reading the rows took 0.8 s); the
            # ten most dependent records, read in order (1 ms where finding and sorting
            # them all took 0.3 s); and those verified lately, counted from the index
            # (0.04 s where counting the rows took 0.6 s).
            models.Index(
                fields=["organisation", "funding_dependency", "role"],
                condition=CURRENT_PUBLISHED,
                name="initiative_current_org_band",
            ),
            models.Index(
                F("largest_funder_share").desc(),
                "name",
                "id",
                condition=CURRENT_PUBLISHED & Q(funding_dependency="highly_dependent"),
                name="initiative_most_dependent",
            ),
            models.Index(
                fields=["last_verified_on"],
                condition=CURRENT_PUBLISHED,
                name="initiative_current_verified",
            ),
            # Few read like a note to self: the work queue counts them through this one.
            models.Index(
                fields=["status"],
                condition=Q(notes_in_public_text=True),
                name="initiative_notes_in_public",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_age__isnull=True)
                | Q(max_age__isnull=True)
                | Q(min_age__lte=models.F("max_age")),
                name="initiative_min_age_not_above_max",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("initiatives:detail", args=[self.slug])

    def clean(self):
        errors = {}
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            errors["min_age"] = ValidationError(
                "The minimum age must not be above the maximum age.", code="min_age_above_max"
            )
        errors |= self.lifecycle_problems(self.lifecycle, self.started_in, self.ended_in)
        if errors:
            raise ValidationError(errors)

    @classmethod
    def lifecycle_problems(
        cls, lifecycle: str, started_in: int | None, ended_in: int | None
    ) -> dict[str, str]:
        """What is wrong with a lifecycle and its years, by field (empty when nothing)."""
        if ended_in is not None and lifecycle != cls.Lifecycle.ENDED:
            return {"ended_in": "A year ended is only for an initiative that has ended."}
        if started_in is not None and ended_in is not None and started_in > ended_in:
            return {"ended_in": "The year ended must not be before the year started."}
        return {}

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(self, self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is None or set(update_fields) & set(PUBLIC_TEXT_FIELDS):
            self.notes_in_public_text = self.reads_like_notes_to_self()
            if update_fields is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "notes_in_public_text"}
        if self.organisation_id is not None:
            organisation = self.organisation
            self.funding_dependency = organisation.funding_dependency
            self.largest_funder_share = organisation.largest_funder_share
            self.nhs_share = organisation.nhs_share
        else:
            self.funding_dependency = FundingDependency.UNKNOWN
            self.largest_funder_share = None
            self.nhs_share = None
        # The location follows the postcode, else the town (an indexed query or two).
        update_fields = kwargs.get("update_fields")
        if update_fields is None or {"postcode", "located_in_town"} & set(update_fields):
            self.locate()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, *LOCATED_FIELDS}
        save_next_version(self, super().save, *args, **kwargs)

    def locate(self) -> None:
        """Set the location (not saved): from the postcode when the postcode directory
        places it (exactly, or at its sector's or district's centre), else from the centre
        of the town it is based in, else none. Also the district the point lies in."""
        match = best_match(self.postcode) if self.postcode else None
        town = None
        if match is None and self.located_in_town:
            try:
                town = gazetteer.resolve_one(self.located_in_town)
            except ValidationError:
                town = None  # clean() says why; an unknown town gives no location
        point = match or town
        for field in LOCATION_FIELDS:
            setattr(self, field, getattr(point, field) if point is not None else None)
        if match is not None:
            unit = match.kind == Postcode.Kind.UNIT
            precision = LocationPrecision.ADDRESS if unit else LocationPrecision.POSTCODE_AREA
        else:
            precision = LocationPrecision.TOWN if town is not None else ""
        self.location_precision = precision
        code = point.local_authority_code if point is not None else ""
        self.location_district = (
            Area.objects.filter(code=code, kind=Area.Kind.LOCAL_AUTHORITY).first() if code else None
        )

    @property
    def location_approximate(self) -> bool:
        return self.location_precision in (
            LocationPrecision.TOWN,
            LocationPrecision.POSTCODE_AREA,
        )

    @property
    def location_town(self) -> str:
        """The name of the town whose centre is its location ("" for other locations)."""
        if self.location_precision != LocationPrecision.TOWN:
            return ""
        try:
            return gazetteer.resolve_one(self.located_in_town).name
        except ValidationError:
            return ""

    ACCESS_FIELDS = (
        "self_referral",
        "professional_referral",
        "drop_in",
        "waiting_list",
        "membership",
    )
    # The ways in, in words, in a fixed order: (field, label, who-to-contact field).
    ACCESS_ROUTES = (
        ("self_referral", "Self-referral", "self_referral_contact"),
        ("professional_referral", "Professional referral", "professional_referral_contact"),
        ("drop_in", "Drop-in", "drop_in_contact"),
        ("waiting_list", "Waiting list", "waiting_list_contact"),
        ("membership", "Membership", "membership_contact"),
    )
    # On the public page, in the words a link worker uses.
    ACCESS_ROUTE_WORDS = {"professional_referral": "Referral by a GP or social prescriber"}
    ACCESSIBILITY_FIELDS = (
        ("step_free_access", "Step-free access"),
        ("hearing_loop", "Hearing loop"),
        ("bsl", "British Sign Language (BSL)"),
    )

    def reads_like_notes_to_self(self) -> bool:
        """Whether any public text field holds a phrase of a note to self."""
        return any(notes_to_self(getattr(self, name)) for name in PUBLIC_TEXT_FIELDS)

    @property
    def access_routes(self) -> list[str]:
        """The ways in recorded as open, in words, in a fixed order."""
        return [label for name, label, _ in self.ACCESS_ROUTES if getattr(self, name)]

    @property
    def ways_in(self) -> list[dict]:
        """Each way in someone has recorded, yes or no, in words (label, open, who to
        contact, and what a "no" means); the ways nobody recorded are left out."""
        ways = []
        for name, label, contact in self.ACCESS_ROUTES:
            value = getattr(self, name)
            if value is None:
                continue
            label = self.ACCESS_ROUTE_WORDS.get(name, label)
            refused = "No waiting list" if name == "waiting_list" else f"{label}: not offered"
            ways.append(
                {"label": label, "open": value, "who": getattr(self, contact), "no": refused}
            )
        return ways

    @property
    def accessibility(self) -> list[tuple[str, bool]]:
        """(feature, has it) for each accessibility feature recorded, yes or no."""
        return [
            (label, getattr(self, name))
            for name, label in self.ACCESSIBILITY_FIELDS
            if getattr(self, name) is not None
        ]

    @property
    def language_list(self) -> list[str]:
        return [part.strip() for part in self.languages.split(";") if part.strip()]

    @property
    def access_recorded(self) -> bool:
        """Whether anyone has recorded how to access it (any of the four is yes or no)."""
        return any(getattr(self, name) is not None for name in self.ACCESS_FIELDS)

    @property
    def ended(self) -> bool:
        return self.lifecycle == self.Lifecycle.ENDED

    @property
    def review_due(self) -> bool:
        if self.last_verified_on is None:
            return True
        age = timezone.localdate() - self.last_verified_on
        return age.days > settings.REVIEW_DUE_DAYS


class OpeningTime(models.Model):
    """When it is open: a weekly slot (Open Referral UK `schedule`), or a closure.

    A slot with valid_from/valid_to applies only between those dates (seasonal hours,
    an exception); a closure (closed ticked, no day or times) shuts every day between
    its dates, both included.
    """

    class Day(models.TextChoices):
        # Open Referral's byday codes (iCalendar), Monday first as the weekday() numbers.
        MONDAY = "MO", "Monday"
        TUESDAY = "TU", "Tuesday"
        WEDNESDAY = "WE", "Wednesday"
        THURSDAY = "TH", "Thursday"
        FRIDAY = "FR", "Friday"
        SATURDAY = "SA", "Saturday"
        SUNDAY = "SU", "Sunday"

    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="opening_times"
    )
    closed = models.BooleanField(
        "closed on these dates",
        default=False,
        help_text="Tick for a closure (holidays): give the dates, no day or times.",
    )
    day = models.CharField(max_length=2, choices=Day.choices, blank=True)
    opens_at = models.TimeField("opens", null=True, blank=True)
    closes_at = models.TimeField("closes", null=True, blank=True)
    valid_from = models.DateField("from", null=True, blank=True)
    valid_to = models.DateField("until", null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["closed", "valid_from", "day", "opens_at", "pk"]
        verbose_name = "opening time"

    def __str__(self) -> str:
        if self.closed:
            return f"Closed {self.valid_from} to {self.valid_to or self.valid_from}"
        return f"{self.get_day_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"

    def clean(self):
        errors = opening_time_problems(
            closed=self.closed,
            day=self.day,
            opens_at=self.opens_at,
            closes_at=self.closes_at,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
        )
        if errors:
            raise ValidationError(errors)


def opening_time_problems(*, closed, day, opens_at, closes_at, valid_from, valid_to) -> dict:
    """What is wrong with one opening time, by field (empty when nothing)."""
    errors = {}
    if closed:
        if valid_from is None:
            errors["valid_from"] = "Give the first date of the closure."
        if day or opens_at or closes_at:
            errors["closed"] = (
                "A closure shuts every day between its dates: leave the day and times empty."
            )
    else:
        if not day:
            errors["day"] = "Choose the day it opens, or tick \u201cclosed\u201d for a closure."
        if opens_at is None:
            errors["opens_at"] = "Give the time it opens, like 10:00."
        if closes_at is None:
            errors["closes_at"] = "Give the time it closes, like 16:00."
        elif opens_at is not None and closes_at <= opens_at:
            errors["closes_at"] = (
                f"It closes at {closes_at:%H:%M}, which is not after it opens "
                f"({opens_at:%H:%M}): a slot that runs past midnight is two slots."
            )
    if valid_from and valid_to and valid_to < valid_from:
        errors["valid_to"] = "The last date must not be before the first date."
    return errors


class Contact(models.Model):
    """Someone to contact about an initiative (Open Referral UK `contact`)."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200, blank=True)
    title = models.CharField("job title or role", max_length=200, blank=True)
    phone = UKPhoneField(blank=True)
    email = email_field(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name or self.title or self.phone or self.email or "Contact"

    def clean(self):
        if not (self.name or self.title or self.phone or self.email):
            raise ValidationError("Give at least a name, a role, a phone number or an email.")


class InitiativeAreaClosure(models.Model):
    """One initiative and one area it serves, directly or by serving a place below it:
    every area a service area lies in (parents and other parents, all the way up), and
    the service area itself.

    Derived, never edited: `initiatives.services.closure` keeps it in step with the
    initiatives' areas and the area tree on every write (see that module). With it, the
    area facet's counts are one indexed GROUP BY instead of a DISTINCT over walks.
    """

    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="area_closure", db_index=False
    )
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        constraints = [
            # Also the index for "this initiative's rows".
            models.UniqueConstraint(fields=["initiative", "area"], name="area_closure_unique")
        ]
        # Counts and filters by area: the area's rows, index only.
        indexes = [models.Index(fields=["area", "initiative"], name="area_closure_by_area")]

    def __str__(self) -> str:
        return f"{self.initiative_id} in {self.area_id}"


class FacetPairCount(models.Model):
    """How many published, current initiatives carry two facet values at once: `a` and
    `b` are keys such as "role:service_provider", "topic:12", "area:345" (the area
    facet's areas: the closure's), with `a <= b`. A key paired with itself is how many
    carry it, and the key "*" (which every counted initiative carries) paired with a
    key is the same; "*" with itself is how many are counted at all.

    Derived, never edited: `initiatives.services.tally` keeps it in step with the
    initiatives on every write, in the same transaction, from each initiative's keys
    as last counted (`InitiativeFacetKeys`). With it, a listing with one filter (or
    none) has every facet's counts from one indexed read, at any size of register.
    """

    a = models.CharField(max_length=80)
    b = models.CharField(max_length=80)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            # Also the index for "every pair starting with this key".
            models.UniqueConstraint(fields=["a", "b"], name="facet_pair_unique")
        ]
        indexes = [models.Index(fields=["b", "a"], name="facet_pair_by_b")]

    def __str__(self) -> str:
        return f"{self.a} & {self.b}: {self.n}"


class InitiativeFacetKeys(models.Model):
    """The facet keys an initiative was last counted under in `FacetPairCount` (none:
    no row), so that a change takes away exactly what it had added. No foreign key:
    the row outlives a deleted initiative until the tally takes its counts away."""

    initiative_id = models.BigIntegerField(primary_key=True)
    keys = models.TextField()

    def __str__(self) -> str:
        return f"{self.initiative_id}: {self.keys}"


class Suggestion(models.Model):
    """What a member of the public proposed: a new initiative or a correction to one.

    Nothing in it is published: a curator accepts it (services.suggestion_accept) or
    rejects it with a reason (services.suggestion_reject).
    """

    class Kind(models.TextChoices):
        NEW = "new", "New initiative"
        CORRECTION = "correction", "Correction"

    class Status(models.TextChoices):
        NEW = "new", "New"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    # Set when the organisation's own provider sent it (an edit from the provider area).
    provider = models.ForeignKey(
        "Provider",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suggestions",
        editable=False,
    )
    initiative = models.ForeignKey(
        Initiative,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suggestions",
        help_text="The initiative a correction is for.",
    )
    # Field name -> proposed value: every field for a new initiative, only the changed
    # ones for a correction (curation/suggestions.py lists the fields).
    proposed = models.JSONField(default=dict, blank=True)
    message = models.TextField("note from the sender", blank=True)
    contact_email = models.EmailField(blank=True)
    # HMAC of the sender's address, to limit suggestions per hour without storing the address.
    client_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    rejection_reason = models.TextField(blank=True, editable=False)
    applied_fields = models.JSONField(default=list, blank=True, editable=False)
    created_initiative = models.ForeignKey(
        Initiative,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="The draft made when a new initiative was accepted.",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["client_hash", "created_at"], name="suggestion_client_recent"),
            models.Index(fields=["status", "created_at"], name="suggestion_queue"),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.CORRECTION:
            target = self.initiative.name if self.initiative else "a deleted initiative"
            return f"Correction to {target}"
        return f"New initiative: {self.proposed.get('name') or 'no name given'}"


class Job(models.Model):
    """Long work a curator started, run by a worker (`manage.py db_worker`), not the request.

    The queue itself is django-tasks' database backend; this row is what the curator
    sees: what was asked (the uploaded file, or the changelist's filter, never a list
    of ids), the progress, and the result or the problems by row. A job's work and its
    "done" are written in one transaction, so a job run twice does its work once.
    """

    class Kind(models.TextChoices):
        IMPORT = "import", "CSV import"
        ACTION = "action", "Bulk action"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        REFUSED = "refused", "Refused: nothing changed"
        FAILED = "failed", "Failed: nothing changed"

    FINISHED = (Status.DONE, Status.REFUSED, Status.FAILED)

    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    description = models.CharField(max_length=300)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # An import's file (emptied once the job has finished) and name.
    data = models.BinaryField(blank=True, default=b"", editable=False)
    filename = models.CharField(max_length=255, blank=True)
    dry_run = models.BooleanField(default=False)
    # A bulk action's name and the changelist's filter querystring.
    action = models.CharField(max_length=40, blank=True)
    querystring = models.TextField(blank=True)
    total = models.PositiveIntegerField(null=True, blank=True)
    done = models.PositiveIntegerField(default=0)
    # Written while the job runs, from a thread of the worker's own (curation.jobs
    # .Heartbeat), every JOB_PROGRESS_SECONDS: a worker that died stops writing it, and
    # `recover_jobs` queues its job again (up to JOB_MAX_ATTEMPTS runs).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    summary = models.TextField(blank=True)
    # The first problems ([row, column, message], shortened) and how many there were.
    problems = models.JSONField(default=list, blank=True)
    problem_count = models.PositiveIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="job_status_recent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description}"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED


# Providers: the organisations behind listings keep them current -------------------------


class Provider(models.Model):
    """Someone at the organisation behind a listing who may keep it current.

    Signs in by emailed link only (django-sesame), as a user who is never staff. Sees
    and edits the organisation's initiatives (or the one initiative claimed, when it has
    no organisation). A trusted provider's edits are published at once; anyone else's
    become a suggestion. Revoking ends their sessions at once.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="providers"
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="providers",
    )
    initiative = models.ForeignKey(
        Initiative,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="providers",
        help_text="The initiative claimed; the provider keeps only this one when it has "
        "no organisation.",
    )
    trusted = models.BooleanField(
        default=False,
        help_text="A trusted provider's edits are published at once (and kept in the "
        "history); anyone else's become a suggestion for a curator.",
    )
    reminders = models.BooleanField(
        "review reminders", default=True, help_text="Whether review reminders are emailed."
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=False) | Q(initiative__isnull=False),
                name="provider_has_organisation_or_initiative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user.email} for {self.organisation or self.initiative}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ProviderClaim(models.Model):
    """A request to keep a listing current: matched by email domain (a link was sent at
    once), or waiting for a curator to approve or refuse with a reason."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting for a curator"
        MATCHED = "matched", "Matched by email domain"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"
        IGNORED = "ignored", "Not acted on (a staff account or a limit)"

    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="provider_claims"
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="provider_claims",
    )
    email = models.EmailField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.WAITING, db_index=True
    )
    # HMAC of the sender's address, to limit claims per hour without storing the address.
    client_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    reason = models.TextField(
        "reason given", blank=True, help_text="Emailed to the person when a claim is refused."
    )
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.SET_NULL, editable=False
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["client_hash", "created_at"], name="claim_client_recent"),
            models.Index(fields=["email", "created_at"], name="claim_email_recent"),
        ]

    def __str__(self) -> str:
        domain = self.email.rpartition("@")[2]
        return f"Claim by someone at {domain} for {self.organisation or self.initiative}"


class ProviderLink(models.Model):
    """A sign-in link sent to a provider: kept (as a hash of its token, never the token)
    to tell an expired or used link from a forged one, and to limit sends per hour."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    # A random scope signed into the token, so that every link is a different token
    # (django-sesame's tokens are otherwise the same for one account within a second).
    scope = models.CharField(max_length=32, editable=False)
    # How long the link signs in for, in seconds (30 minutes; longer in a reminder).
    lifetime = models.PositiveIntegerField(default=30 * 60)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="provider_link_recent")]

    def __str__(self) -> str:
        return f"Sign-in link for {self.user_id} at {self.created_at:%Y-%m-%d %H:%M}"


class ReviewReminder(models.Model):
    """A reminder emailed to an initiative's provider that its record is due for review,
    once per review period (the date it was last checked, or "never")."""

    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="review_reminders"
    )
    period = models.CharField(max_length=10)
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "period"], name="review_reminder_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"Reminder for {self.initiative_id} ({self.period})"
