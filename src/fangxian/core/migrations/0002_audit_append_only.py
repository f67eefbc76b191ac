"""The change log and the access log refuse UPDATE and DELETE at the database, on PostgreSQL and on SQLite."""

from django.db import migrations

AUDIT_TABLES = ["core_changerecord", "core_accessrecord"]

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION fangxian_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit table % is append-only (审计记录只允许新增)', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def install(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        # No parameters: the body uses % as the RAISE placeholder.
        schema_editor.execute(POSTGRES_FUNCTION, params=None)
        for table in AUDIT_TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION fangxian_audit_append_only()"
            )
    elif connection.vendor == "sqlite":
        for table in AUDIT_TABLES:
            for operation in ("UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'audit table {table} is append-only'); END"
                )
    else:
        raise RuntimeError(f"append-only audit tables are not implemented for {connection.vendor}")


def uninstall(apps, schema_editor):
    connection = schema_editor.connection
    for table in AUDIT_TABLES:
        if connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        else:
            for operation in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation}")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
