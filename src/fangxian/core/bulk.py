"""The fastest native insert of each database: COPY on PostgreSQL, executemany (bulk_create) on SQLite.

Objects come back with their primary keys set on both, so rows that refer to them can be written next.
Callers own the transaction; nothing here commits.
"""

from collections.abc import Sequence

from django.db import connection, models
from psycopg import sql

_NEEDS_PREP = {"JSONField", "DecimalField", "DurationField", "BinaryField"}


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve `count` primary keys from the table's sequence (PostgreSQL)."""
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
        )
        return [row[0] for row in cursor.fetchall()]


def bulk_insert(model: type[models.Model], objects: Sequence[models.Model], *, batch_size: int = 5000) -> None:
    if not objects:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects, batch_size=batch_size)
        return
    fields = list(model._meta.concrete_fields)
    for obj, pk in zip(objects, allocate_ids(model, len(objects)), strict=True):
        obj.pk = pk
        for field in fields:
            field.pre_save(obj, add=True)  # auto_now / auto_now_add, as save() would
        obj._state.adding = False
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(sql.Identifier(f.column) for f in fields)
    )
    attnames = [field.attname for field in fields]
    # Only fields whose Python value is not already what the driver sends need Django's conversion
    # (JSON to jsonb, mainly); calling it for every field of every row costs more than the COPY itself.
    prepared = [i for i, field in enumerate(fields) if field.get_internal_type() in _NEEDS_PREP]
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for obj in objects:
            values = [getattr(obj, name) for name in attnames]
            for i in prepared:
                values[i] = fields[i].get_db_prep_save(values[i], connection)
            copy.write_row(values)
