"""Loading the seed files in tests, and removing everything a load wrote."""

import io
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from initiatives import models
from initiatives.search import rebuild_search_index

SEEDS = Path(settings.BASE_DIR) / "seeds"


def load(directory: Path = SEEDS) -> str:
    out = io.StringIO()
    call_command("load_seeds", "--dir", str(directory), stdout=out)
    return out.getvalue()


def remove_everything_loaded() -> None:
    """Delete what a load wrote, dependants first (areas and organisations are protected)."""
    models.Initiative.objects.all().delete()
    models.FundingLine.objects.all().delete()
    models.Organisation.objects.all().delete()
    for model in (models.VanguardSite, models.Condition, models.Topic, models.PopulationGroup):
        model.objects.all().delete()
    models.Area.objects.update(parent=None)
    models.Area.objects.all().delete()
    # The search's word list (PostgreSQL) only grows: rebuilt, it holds no seed words
    # that a later test's misspelling could be corrected to.
    rebuild_search_index(connection)
