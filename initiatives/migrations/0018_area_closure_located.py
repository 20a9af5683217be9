from django.db import migrations


def fill_located(apps, schema_editor):
    """Add to the area closure each located initiative's district and every area above it
    (a record based in a district is "here" for it, as its area page lists it).

    Self-contained (the historical models and plain SQL), as the service that keeps the
    table afterwards (initiatives.services.closure) may change."""
    Area = apps.get_model("initiatives", "Area")
    Initiative = apps.get_model("initiatives", "Initiative")
    Closure = apps.get_model("initiatives", "InitiativeAreaClosure")
    parents = {}
    for pk, parent in Area.objects.values_list("pk", "parent_id"):
        parents.setdefault(pk, set())
        if parent is not None:
            parents[pk].add(parent)
    for child, parent in Area.other_parents.through.objects.values_list("from_area_id", "to_area_id"):
        parents.setdefault(child, set()).add(parent)
    pairs = []
    for start in parents:
        seen, stack = {start}, [start]
        while stack:  # each area once, so a loop cannot run forever
            for up in parents.get(stack.pop(), ()):
                if up not in seen:
                    seen.add(up)
                    stack.append(up)
        pairs += [f"({int(start)}, {int(up)})" for up in sorted(seen)]
    if not pairs:
        return
    table = Closure._meta.db_table
    initiatives = Initiative._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (initiative_id, area_id)"  # noqa: S608 - ids and table names
            f" SELECT DISTINCT i.id, m.column2 FROM {initiatives} i"
            f" JOIN (VALUES {', '.join(pairs)}) AS m ON m.column1 = i.location_district_id"
            f" WHERE NOT EXISTS (SELECT 1 FROM {table} c"
            " WHERE c.initiative_id = i.id AND c.area_id = m.column2)"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('initiatives', '0017_providers_keep_their_listings'),
    ]

    operations = [
        migrations.RunPython(fill_located, migrations.RunPython.noop, elidable=False),
    ]
