import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动 Web 服务 (gunicorn)。Serve Fangxian over HTTP."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("FANGXIAN_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("FANGXIAN_WORKERS", "2")))

    def handle(self, *args, bind, workers, **options):
        self.stdout.write(
            f"Fangxian 防线 → http://{bind}/  ({settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]})"
        )
        sys.stdout.flush()
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "fangxian.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--threads",
            "4",
            "--access-logfile",
            "-",
            "--timeout",
            "120",
        ]
        os.execv(sys.executable, argv)
