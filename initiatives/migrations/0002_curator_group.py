"""The "Curator" group: curators add, change and view every record of the register.

They may delete only funding lines (to correct an organisation's funding mix) and
the vocabularies (conditions, topics, population groups); the admin still refuses
to delete a term that initiatives use. Initiatives and organisations are archived,
never deleted, and areas and vanguard sites come from official lists, so curators
cannot delete those.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Curator"
CURATOR_MAY_DELETE = {"fundingline", "condition", "topic", "populationgroup"}


def create_curator_group(apps, schema_editor):
    # Permissions are normally created after all migrations have run; create them now
    # so that the group can be given them on a fresh database.
    create_permissions(
        global_apps.get_app_config("initiatives"),
        apps=apps,
        verbosity=0,
        using=schema_editor.connection.alias,
    )
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    codenames = []
    for model in apps.get_app_config("initiatives").get_models():
        name = model._meta.model_name
        actions = ["add", "change", "view"]
        if name in CURATOR_MAY_DELETE:
            actions.append("delete")
        codenames.extend(f"{action}_{name}" for action in actions)
    permissions = Permission.objects.filter(
        content_type__app_label="initiatives", codename__in=codenames
    )
    group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    # Reversing keeps the group: removing it would drop its members.
    operations = [migrations.RunPython(create_curator_group, migrations.RunPython.noop)]
