"""TRUNCATE empties a table without touching a row, so the row triggers of 0002 never see it: on PostgreSQL a
statement trigger refuses it too. (SQLite has no TRUNCATE; its DELETE without WHERE fires the row triggers.)

Only a superuser gets past it, by `SET session_replication_role = replica` (which also stops every other
trigger): the documented way to empty a copy of the database, never available to the platform's own role."""

from django.db import migrations

AUDIT_TABLES = ["core_changerecord", "core_accessrecord"]


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in AUDIT_TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION fangxian_audit_append_only()"
        )


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in AUDIT_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")


class Migration(migrations.Migration):
    dependencies = [("core", "0005_notification")]
    operations = [migrations.RunPython(install, uninstall)]
