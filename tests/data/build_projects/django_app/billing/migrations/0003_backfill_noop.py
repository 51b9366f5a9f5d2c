from django.db import migrations


def backfill(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_amounts_in_cents")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
