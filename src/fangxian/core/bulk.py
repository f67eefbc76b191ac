"""The fastest native insert of each database: COPY on PostgreSQL, executemany on SQLite.

Bulk paths (imports, demo data) write plain tuples through a RowWriter built from the model's own fields, so
the model stays the one definition of the table while no model instance is built per row. Ids are reserved
first, so rows that refer to new rows can be written next. Callers own the transaction; nothing here commits.
"""

import io
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from psycopg import sql

if TYPE_CHECKING:
    import polars as pl

_SEQUENCES: dict[tuple[str, str, str], str] = {}  # (database alias, table, column) → sequence name
_NEEDS_PREP = {"JSONField", "DecimalField", "DurationField", "BinaryField"}


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve `count` primary keys: from the sequence on PostgreSQL; above the current maximum on SQLite,
    whose write transactions are exclusive (IMMEDIATE), so nobody else can take them meanwhile."""
    if count == 0:
        return []
    table, column = model._meta.db_table, str(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The sequence named once (pg_get_serial_sequence per row is a catalog lookup per id), and the ids
            # as one array value: 10⁴ ids in ~3 ms instead of ~25 ms.
            key = (connection.alias, table, column)
            if key not in _SEQUENCES:
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
                _SEQUENCES[key] = cursor.fetchone()[0]
            cursor.execute(
                "SELECT array(SELECT nextval(%s::regclass) FROM generate_series(1, %s))", [_SEQUENCES[key], count]
            )
            return list(cursor.fetchone()[0])
        cursor.execute(f'SELECT COALESCE(MAX("{column}"), 0) FROM "{table}"')
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


_ENCODER = DjangoJSONEncoder(ensure_ascii=False)  # one instance: building an encoder per row costs more than encoding


def _column(field) -> str:
    return str(field.column)  # concrete fields always have one


def _json(value):
    return None if value is None else _ENCODER.encode(value)


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
        self.columns = [_column(field) for field in self.fields]
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
        self.converters: list[tuple[int, Callable[[Any], Any]]] = []
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
    copy_rows(model._meta.db_table, [_column(field) for field in fields], rows)


# ---------------------------------------------------------------- set-based writes (INSERT … SELECT)
#
# A staged import is committed by statements that read the staged rows and write the final tables inside the
# database, so no row travels back to Python. The few expressions that differ between the two databases are here.


def _literal(value) -> str:
    """A static default as SQL text (defaults come from the models, never from input)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict | list):
        value = _json(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for a default of type {type(value).__name__}")


def insert_select(model: type[models.Model], select: dict[str, str], source: str, params: Sequence = ()) -> int:
    """INSERT INTO the model's table (every concrete field but the id) SELECT … FROM `source`.

    `select` maps attnames to SQL expressions; a field left out takes its static default, and a field with no
    static default must be given. `params` fill the placeholders of the expressions, in the order given, then
    those of `source`. Returns the number of rows written."""
    writer = RowWriter(model)
    missing = writer.required - select.keys()
    if missing:
        raise TypeError(f"{model.__name__}: no expression for {sorted(missing)}")
    quote = connection.ops.quote_name
    names = [field.attname for field in writer.fields]
    unknown = select.keys() - set(names)
    if unknown:
        raise TypeError(f"{model.__name__}: no field {sorted(unknown)}")
    columns = [quote(_column(writer.fields[writer.index[name]])) for name in select]
    expressions = list(select.values())
    for field, default in zip(writer.fields, writer.template, strict=True):
        if field.attname not in select:
            columns.append(quote(_column(field)))
            expressions.append(_literal(default))
    statement = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) SELECT {', '.join(expressions)} "
        f"FROM {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))
        return cursor.rowcount


def uuid7_sql(counter: str) -> str:
    """A time-ordered UUID (version 7: milliseconds, then `counter`, then 48 random bits) as the database stores
    UUIDs. Rows written together get neighbouring keys, so their unique index grows at its right edge instead of
    at random pages all over a large index (what random version-4 UUIDs cost a bulk write)."""
    if connection.vendor == "postgresql":
        return (
            "(lpad(to_hex(floor(extract(epoch FROM statement_timestamp()) * 1000)::bigint), 12, '0') || '7' || "
            f"lpad(to_hex((({counter}) >> 12) & 4095), 3, '0') || '8' || lpad(to_hex(({counter}) & 4095), 3, '0') || "
            "substr(md5(random()::text), 1, 12))::uuid"
        )
    return (
        "printf('%%012x7%%03x8%%03x', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), "
        f"(({counter}) >> 12) & 4095, ({counter}) & 4095) || lower(hex(randomblob(6)))"
    )


def uuid_text_sql(column: str) -> str:
    """A UUID column as canonical text (8-4-4-4-12), as the change log stores object ids."""
    if connection.vendor == "postgresql":
        return f"{column}::text"
    parts = [(1, 8), (9, 4), (13, 4), (17, 4), (21, 12)]
    return " || '-' || ".join(f"substr({column}, {start}, {length})" for start, length in parts)


def json_object_sql(pairs: dict[str, str]) -> str:
    """A JSON object built in the database from key → SQL expression."""
    function = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    arguments = ", ".join(f"'{key}', {value}" for key, value in pairs.items())
    return f"{function}({arguments})"


def date_text_sql(column: str) -> str:
    """A date column as ISO text (SQLite already stores it so)."""
    return f"to_char({column}, 'YYYY-MM-DD')" if connection.vendor == "postgresql" else column


@contextmanager
def index_plans():
    """On PostgreSQL, plan the set-based statements on indexes only, whatever the statistics say.

    Intake statements read the table they write (NOT EXISTS a registered person / an open lead). A table the planner
    believes small — any table on a new installation, or before autovacuum has looked — gets a sequential scan
    for that check, repeated per row, over a table that grows by the statement's own (invisible) new rows:
    quadratic, minutes for 10⁵ rows. A day partition of samples filled a minute ago has no statistics either, and
    a recall of 50 tubes would scan its 10⁷ rows. An index probe costs the same however the table grows. JIT
    compilation is off too: these statements are planned once and run once."""
    if connection.vendor != "postgresql":
        yield  # SQLite reads a SELECT that names its target table to the end before writing
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL jit = off")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET jit")


# ---------------------------------------------------------------- frames and lists (columnar write paths)


def rows_with_values(model: type[models.Model], column: str, values: list, fields: list[str]) -> list:
    """The model's rows whose `column` is one of `values`, with only `fields` loaded. On PostgreSQL one array
    parameter: a list of 10⁴ placeholders costs more to parse and plan than the lookup itself."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(name) for name in fields)
        quoted = connection.ops.quote_name(column)
        return list(model._default_manager.raw(f"SELECT {names} FROM {table} WHERE {quoted} = ANY(%s)", [values]))
    found: list = []
    for start in range(0, len(values), 5000):
        chunk = values[start : start + 5000]
        found.extend(model._default_manager.filter(**{f"{column}__in": chunk}).only(*fields))
    return found


def in_list_sql(column: str, values: list[int]) -> tuple[str, list]:
    """`column` is one of `values`, as a WHERE fragment and its parameters (an array on PostgreSQL)."""
    if not values:
        return "1 = 0", []
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def copy_frame(model: type[models.Model], data: "pl.DataFrame") -> None:
    """Rows of a frame into the model's table: COPY of the frame written as CSV on PostgreSQL (no Python per
    row), one executemany on SQLite."""
    import polars as pl

    table = model._meta.db_table
    columns = [_column_named(model, name) for name in data.columns]
    if connection.vendor == "postgresql":
        buffer = io.BytesIO()
        data.write_csv(buffer, include_header=False)
        quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN (FORMAT csv)") as copy,
        ):
            view = buffer.getbuffer()
            for start in range(0, len(view), 1 << 20):
                copy.write(view[start : start + (1 << 20)])
        return
    adapt = connection.ops.adapt_datetimefield_value
    moments = [i for i, dtype in enumerate(data.dtypes) if isinstance(dtype, pl.Datetime)]
    rows = data.with_columns(pl.col(pl.Date).cast(pl.String)).rows()
    if moments:  # as Django writes them on SQLite (UTC, no offset): compared as text there
        rows = [tuple(adapt(v) if i in moments else v for i, v in enumerate(row)) for row in rows]
    copy_rows(table, columns, rows)


def _column_named(model: type[models.Model], name: str) -> str:
    for item in model._meta.concrete_fields:
        if name in (item.attname, item.name) and item.column:
            return item.column
    raise KeyError(name)


def stage_frame(cursor, table: str, definition: str, data: "pl.DataFrame", *, index: str) -> None:
    """A temporary table `table` (`definition`: its columns) filled from a frame whose columns are in that
    order, indexed on `index`: the set a statement then joins against. Decimal columns go as text on SQLite."""
    import polars as pl

    cursor.execute(f"CREATE TEMPORARY TABLE {table} ({definition})")
    if connection.vendor == "postgresql":
        buffer = io.BytesIO()
        data.write_csv(buffer, include_header=False)
        with cursor.cursor.copy(f"COPY {table} FROM STDIN (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
        cursor.execute(f"CREATE INDEX ON {table} ({index})")
        cursor.execute(f"ANALYZE {table}")
        return
    floats = [i for i, dtype in enumerate(data.dtypes) if dtype in (pl.Float32, pl.Float64)]
    rows = [tuple(str(v) if i in floats and v is not None else v for i, v in enumerate(row)) for row in data.rows()]
    cursor.executemany(f"INSERT INTO {table} VALUES ({', '.join(['%s'] * len(data.columns))})", rows)
    cursor.execute(f"CREATE INDEX {table}_index ON {table} ({index})")
