"""The fastest native insert of each database: COPY on PostgreSQL, executemany on SQLite.

Bulk paths (imports, demo data) write plain tuples through a RowWriter built from the model's own fields, so
the model stays the one definition of the table while no model instance is built per row. Ids are reserved
first, so rows that refer to new rows can be written next. Callers own the transaction; nothing here commits.
"""

import json
import uuid
from collections.abc import Iterable, Sequence

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from psycopg import sql

_NEEDS_PREP = {"JSONField", "DecimalField", "DurationField", "BinaryField"}


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve `count` primary keys: from the sequence on PostgreSQL; above the current maximum on SQLite,
    whose write transactions are exclusive (IMMEDIATE), so nobody else can take them meanwhile."""
    if count == 0:
        return []
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f'SELECT COALESCE(MAX("{column}"), 0) FROM "{table}"')
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


def _json(value):
    return None if value is None else json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)


class RowWriter:
    """Database-ready tuples for one model, in the order of its concrete fields.

    values(**fields) takes attnames (unit_id, not unit); a field left out takes its static default, and a field
    with a callable default or none at all must be given.
    """

    def __init__(self, model: type[models.Model], *, with_pk: bool = False):
        self.model = model
        pk = model._meta.pk
        # Without ids the database numbers the rows itself; with them the caller has reserved ids.
        self.fields = [f for f in model._meta.concrete_fields if with_pk or f is not pk]
        self.columns = [field.column for field in self.fields]
        self.index = {field.attname: i for i, field in enumerate(self.fields)}
        self.template: list = []
        self.required: set[str] = set()
        for field in self.fields:
            default = None
            if field.has_default() and callable(field.default) or getattr(field, "auto_now_add", False):
                self.required.add(field.attname)
            else:
                default = field.get_default()  # "" for text fields without a default
                if default is None and not field.null:
                    self.required.add(field.attname)
            self.template.append(default)
        postgres = connection.vendor == "postgresql"
        self.converters: list[tuple[int, object]] = []
        for i, field in enumerate(self.fields):
            kind = field.get_internal_type()
            if kind == "JSONField":
                self.converters.append((i, _json))
            elif kind == "UUIDField" and not postgres:
                self.converters.append((i, lambda value: value.hex if isinstance(value, uuid.UUID) else value))
            elif kind == "DateTimeField" and not postgres:
                self.converters.append((i, connection.ops.adapt_datetimefield_value))
            elif kind in {"DateField"} and not postgres:
                self.converters.append((i, connection.ops.adapt_datefield_value))

    def values(self, **given) -> tuple:
        missing = self.required - given.keys()
        if missing:
            raise TypeError(f"{self.model.__name__}: no value for {sorted(missing)}")
        row = list(self.template)
        index = self.index
        for name, value in given.items():
            row[index[name]] = value
        for i, convert in self.converters:
            if row[i] is not None:
                row[i] = convert(row[i])
        return tuple(row)

    def insert(self, rows: Iterable[Sequence]) -> None:
        copy_rows(self.model._meta.db_table, self.columns, rows)


def copy_rows(table: str, columns: list[str], rows: Iterable[Sequence]) -> None:
    if connection.vendor == "postgresql":
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(column) for column in columns)
        )
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join(["%s"] * len(columns))
    names = ", ".join(f'"{column}"' for column in columns)
    with connection.cursor() as cursor:
        cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({placeholders})', list(rows))


def bulk_insert(model: type[models.Model], objects: Sequence[models.Model], *, batch_size: int = 5000) -> None:
    """Model instances, for callers that have them: their primary keys are set on both databases."""
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
    attnames = [field.attname for field in fields]
    # Only fields whose Python value is not already what the driver sends need Django's conversion
    # (JSON to jsonb, mainly); calling it for every field of every row costs more than the COPY itself.
    prepared = [i for i, field in enumerate(fields) if field.get_internal_type() in _NEEDS_PREP]
    rows = []
    for obj in objects:
        values = [getattr(obj, name) for name in attnames]
        for i in prepared:
            values[i] = fields[i].get_db_prep_save(values[i], connection)
        rows.append(values)
    copy_rows(model._meta.db_table, [field.column for field in fields], rows)
