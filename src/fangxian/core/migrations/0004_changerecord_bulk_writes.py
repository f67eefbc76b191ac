"""Change records written in bulk: no per-row constraint checks on actor and unit, one index on object_id.

SQLite rebuilds the table to alter its columns, which drops its triggers: the append-only triggers are put back."""

from importlib import import_module

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


append_only = import_module("fangxian.core.migrations.0002_audit_append_only")


def restore_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        append_only.uninstall(apps, schema_editor)
        append_only.install(apps, schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_job'),
    ]

    operations = [
        migrations.AlterField(
            model_name='changerecord',
            name='actor',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作人'),
        ),
        migrations.AlterField(
            model_name='changerecord',
            name='object_id',
            field=models.CharField(max_length=64, verbose_name='对象'),
        ),
        migrations.AlterField(
            model_name='changerecord',
            name='unit',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.unit', verbose_name='单位'),
        ),
        migrations.AddIndex(
            model_name='changerecord',
            index=models.Index(fields=['object_id'], name='changerecord_object_id'),
        ),
        migrations.RunPython(restore_sqlite_triggers, migrations.RunPython.noop),
    ]
