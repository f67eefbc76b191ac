import logging
import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from fangxian.core import sweeps

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "启动后台任务进程（数据库队列），并定时运行巡检（中断任务、超时协查）。Run the job worker and the sweeps."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="运行一次巡检、处理完队列中的任务后退出")
        parser.add_argument("--sweep-seconds", type=int, default=60)

    def handle(self, *args, batch, sweep_seconds, **options):
        if batch:
            sweeps.run_all()
        else:
            stop = threading.Event()
            threading.Thread(target=self._sweep_forever, args=(stop, sweep_seconds), daemon=True).start()
        call_command("db_worker", batch=batch)

    def _sweep_forever(self, stop: threading.Event, seconds: int) -> None:
        while not stop.wait(seconds):
            try:
                sweeps.run_all()
            except Exception:
                logger.exception("sweep failed")
            finally:
                close_old_connections()
