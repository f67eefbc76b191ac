"""Exit 0 when the PostgreSQL server of the given URL accepts a connection, 1 otherwise."""

import sys

import psycopg

try:
    psycopg.connect(sys.argv[1], connect_timeout=5).close()
except psycopg.Error as error:
    print(f"PostgreSQL: {error}".strip(), file=sys.stderr)
    sys.exit(1)
