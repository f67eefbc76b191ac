import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fangxian.core import services as core_services
from fangxian.core.audit import audit_context
from fangxian.core.models import User
from fangxian.core.tabular import TableReadError
from fangxian.venues.files import import_scan_file


class Command(BaseCommand):
    help = "场所码：import-scans 导入省健康码平台导出的扫码记录（.csv UTF-8/GBK、.xlsx、.xls），可重复导入。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="operation", required=True)
        scans = sub.add_parser("import-scans", help="导入扫码记录文件")
        scans.add_argument("path")
        scans.add_argument("--actor", default="", help="以该用户名义导入（默认系统账号）")
        scans.add_argument("--json", action="store_true", help="以 JSON 输出统计")

    def handle(self, *args, operation, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        actor = core_services.service_account()
        if options["actor"]:
            actor = User.objects.filter(username=options["actor"], is_active=True).first()
            if actor is None:
                raise CommandError(f"用户 {options['actor']} 不存在或已停用")
        with audit_context(job_id=f"cmd:import-scans:{path.name}"[:64]):
            try:
                outcome = import_scan_file(actor=actor, path=path, progress=self._progress)
            except TableReadError as error:
                raise CommandError(str(error)) from None
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "rows": outcome.rows,
                        "written": outcome.written,
                        "unchanged": outcome.unchanged,
                        "unregistered": outcome.unregistered,
                        "problems": [{"row": row, "message": message} for row, message in outcome.problems],
                    },
                    ensure_ascii=False,
                )
            )
            return
        self.stdout.write(
            f"共 {outcome.rows} 行：新写入 {outcome.written}，已存在 {outcome.unchanged}，"
            f"场所码未登记（已保留）{outcome.unregistered}，有误 {len(outcome.problems)}"
        )
        for row, message in outcome.problems[:200]:
            self.stdout.write(f"  第 {row} 行：{message}")
        if len(outcome.problems) > 200:
            self.stdout.write(f"  …… 另有 {len(outcome.problems) - 200} 行有误（加 --json 看全部）")

    def _progress(self, done: int, total: int) -> None:
        if total > 10_000:
            self.stderr.write(f"  {done:,} / {total:,}")
