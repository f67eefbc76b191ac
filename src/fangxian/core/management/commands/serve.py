import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动 Web 服务 (gunicorn)；--with-worker 同时启动后台任务进程。Serve Fangxian over HTTP."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("FANGXIAN_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("FANGXIAN_WORKERS", "2")))
        parser.add_argument("--with-worker", action="store_true", help="同时运行后台任务进程（演示与单机部署）")

    def handle(self, *args, bind, workers, with_worker, **options):
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        self.stdout.write(f"Fangxian 防线 → http://{bind}/  ({engine}{', 含后台任务进程' if with_worker else ''})")
        sys.stdout.flush()
        server = [
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
        if not with_worker:
            os.execv(sys.executable, server)
        worker = subprocess.Popen([sys.executable, "-m", "fangxian.cli", "worker"])
        web = subprocess.Popen(server)
        try:
            web.wait()
        except KeyboardInterrupt:
            web.send_signal(signal.SIGTERM)
            web.wait()
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
