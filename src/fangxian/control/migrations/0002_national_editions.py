"""The national protocol editions ship as data: the 8th (2021-05), the 9th (2022-06) and the "20 measures" (2022-11)."""

from django.db import migrations


def install(apps, schema_editor):
    from fangxian.control import editions

    editions.install(apps.get_model("control", "Protocol"), apps.get_model("control", "ProtocolRule"))


class Migration(migrations.Migration):
    dependencies = [("control", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
