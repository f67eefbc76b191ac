"""Day partitions for the city-scale tables (PostgreSQL declarative partitioning): samples, lab submissions, scans.

On PostgreSQL a row lands in the partition of its day; partitions are made ahead by a sweep and
on demand before a write, and the retention policy drops whole days (no DELETE of 10⁷ rows). The tables have no
primary-key constraint there: nothing refers to a sample by id, and a unique index over 10⁷ new rows a day
would cost as much as the rows themselves. On SQLite the same models are plain tables.
"""

import datetime
import re

from django.db import connection, models, transaction
from django.db.utils import ProgrammingError

_known: set[str] = set()


def is_partitioned() -> bool:
    return connection.vendor == "postgresql"


def create_table(schema_editor, model: type[models.Model], key: str, *, methods: dict[str, str] | None = None) -> None:
    """The model's table, partitioned by range of `key` on PostgreSQL; a plain table elsewhere. `methods`: the
    index access method of a single-field index by its column (default btree), e.g. a hash index for a key only
    ever looked up by equality. The model's unique constraints become unique indexes (they must hold `key`)."""
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.create_model(model)
        return
    table = model._meta.db_table
    quote = schema_editor.quote_name
    sequence = f"{table}_id_seq"
    columns = []
    for field in model._meta.local_concrete_fields:
        if field.primary_key:
            columns.append(f"{quote(field.column)} bigint NOT NULL DEFAULT nextval('{sequence}')")
            continue
        definition, params = schema_editor.column_sql(model, field, include_default=False)
        assert not params, "partitioned columns take no parameters"
        columns.append(f"{quote(field.column)} {definition}")
    schema_editor.execute(f"CREATE SEQUENCE {quote(sequence)}")
    schema_editor.execute(f"CREATE TABLE {quote(table)} ({', '.join(columns)}) PARTITION BY RANGE ({quote(key)})")
    schema_editor.execute(f"ALTER SEQUENCE {quote(sequence)} OWNED BY {quote(table)}.{quote('id')}")
    methods = methods or {}
    for constraint in model._meta.constraints:
        fields = [model._meta.get_field(name).column for name in constraint.fields]
        schema_editor.execute(
            f"CREATE UNIQUE INDEX {quote(constraint.name)} ON {quote(table)} "
            f"({', '.join(quote(column) for column in fields)})"
        )
    for index in model._meta.indexes:
        fields = [model._meta.get_field(name).column for name in index.fields]
        method = methods.get(fields[0], "btree") if len(fields) == 1 else "btree"
        schema_editor.execute(
            f"CREATE INDEX {quote(index.name)} ON {quote(table)} USING {method} "
            f"({', '.join(quote(column) for column in fields)})"
        )


def partition_name(table: str, day: datetime.date) -> str:
    return f"{table}_p{day:%Y%m%d}"


def ensure_partitions(model: type[models.Model], first: datetime.date, last: datetime.date) -> list[str]:
    """Make the day partitions from `first` to `last` (inclusive) that do not exist yet; returns those made.
    Two writers making the same day at once: one makes it, the other finds it made."""
    if not is_partitioned():
        return []
    table = model._meta.db_table
    made = []
    day = first
    while day <= last:
        name = partition_name(table, day)
        if name not in _known:
            if _create_partition(table, name, day):
                made.append(name)
            # Remembered once committed: a partition made in a transaction that rolls back is gone again.
            transaction.on_commit(lambda name=name: _known.add(name))
        day += datetime.timedelta(days=1)
    return made


def _create_partition(table: str, name: str, day: datetime.date) -> bool:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        if cursor.fetchone()[0]:
            return False
        try:
            with transaction.atomic():
                cursor.execute(
                    f"CREATE TABLE {quote(name)} PARTITION OF {quote(table)} FOR VALUES FROM (%s) TO (%s)",
                    [day, day + datetime.timedelta(days=1)],
                )
        except ProgrammingError:  # made meanwhile by another writer
            return False
    return True


_DAY = re.compile(r"_p(\d{8})$")


def partitions(model: type[models.Model]) -> list[tuple[str, datetime.date]]:
    """The model's day partitions, oldest first."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s)",
            [model._meta.db_table],
        )
        names = [row[0] for row in cursor.fetchall()]
    found = []
    for name in names:
        match = _DAY.search(name)
        if match:
            found.append((name, datetime.datetime.strptime(match.group(1), "%Y%m%d").date()))
    return sorted(found, key=lambda item: item[1])


def drop_before(model: type[models.Model], day: datetime.date) -> list[str]:
    """Retention: drop whole days older than `day` (PostgreSQL); on SQLite, delete those rows."""
    if not is_partitioned():
        model._default_manager.filter(day__lt=day).delete()
        return []
    quote = connection.ops.quote_name
    dropped = []
    with connection.cursor() as cursor:
        for name, partition_day in partitions(model):
            if partition_day < day:
                cursor.execute(f"DROP TABLE {quote(name)}")
                _known.discard(name)
                dropped.append(name)
    return dropped


def forget_known() -> None:
    """Partitions may have been dropped by another process (or a test database rebuilt)."""
    _known.clear()
