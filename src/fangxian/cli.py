"""The `fangxian` command: every Django management command, plus the project's own (demo, serve, worker, units)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangxian.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["fangxian", *sys.argv[1:]])


if __name__ == "__main__":
    main()
