"""The "Lead curator" group, and the curators' permissions on suggestions.

Curators archive records; only lead curators (and superusers) may delete an
initiative or an organisation, and the deletion is kept in their history.
Lead curators have every curator permission as well, so one group is enough.
Curators review suggestions from the public (view and change); the public makes them.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

CURATOR = "Curator"
LEAD_CURATOR = "Lead curator"
LEAD_MAY_DELETE = ["delete_initiative", "delete_organisation"]
CURATOR_ON_SUGGESTIONS = ["view_suggestion", "change_suggestion"]


def create_lead_curator_group(apps, schema_editor):
    # Permissions are normally created after all migrations have run (see 0002).
    create_permissions(
        global_apps.get_app_config("initiatives"),
        apps=apps,
        verbosity=0,
        using=schema_editor.connection.alias,
    )
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    initiatives = Permission.objects.filter(content_type__app_label="initiatives")

    curator, _ = Group.objects.get_or_create(name=CURATOR)
    curator.permissions.add(*initiatives.filter(codename__in=CURATOR_ON_SUGGESTIONS))
    # Suggestions come from the public form, and are kept once reviewed.
    curator.permissions.remove(
        *initiatives.filter(codename__in=["add_suggestion", "delete_suggestion"])
    )

    lead, _ = Group.objects.get_or_create(name=LEAD_CURATOR)
    lead.permissions.add(*curator.permissions.all())
    lead.permissions.add(*initiatives.filter(codename__in=LEAD_MAY_DELETE))


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0004_history_version_suggestions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    # Reversing keeps the groups: removing them would drop their members.
    operations = [migrations.RunPython(create_lead_curator_group, migrations.RunPython.noop)]
