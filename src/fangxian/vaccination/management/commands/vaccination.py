import json
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from fangxian.core import services as core_services
from fangxian.core.audit import audit_context
from fangxian.core.models import Unit, User
from fangxian.core.tabular import TableReadError
from fangxian.vaccination.services import imports


class Command(BaseCommand):
    help = (
        "疫苗接种：import 导入免疫规划信息系统导出的接种明细（.csv UTF-8/GBK、.xlsx、.xls）。"
        "不加 --commit 只核对并列出全部问题；加 --commit 核对后导入（有错误或冲突时须加 --valid-only）。"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="operation", required=True)
        one = sub.add_parser("import", help="核对并导入接种记录文件")
        one.add_argument("path")
        one.add_argument("--unit", required=True, help="导入单位代码（新登记的人员也登记到这里）")
        one.add_argument("--commit", action="store_true", help="核对后导入")
        one.add_argument("--valid-only", action="store_true", help="只导入无误的行")
        one.add_argument("--confirm-ages", action="store_true", help="超出说明书年龄范围的剂次已核实，一并导入")
        one.add_argument("--actor", default="", help="以该用户名义导入（默认系统账号）")
        one.add_argument("--json", action="store_true", help="以 JSON 输出")

    def handle(self, *args, operation, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        unit = Unit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(f"没有代码为 {options['unit']} 的单位")
        actor = core_services.service_account()
        if options["actor"]:
            actor = User.objects.filter(username=options["actor"], is_active=True).first()
            if actor is None:
                raise CommandError(f"用户 {options['actor']} 不存在或已停用")
        with audit_context(job_id=f"cmd:vaccination-import:{path.name}"[:64]):
            try:
                with transaction.atomic():
                    batch, plan = imports.check_file(
                        actor=actor, path=path, file_name=path.name, unit=unit, person_unit=unit
                    )
                if options["commit"]:
                    with transaction.atomic():
                        plan = imports.commit(
                            actor=actor,
                            batch=batch,
                            valid_only=options["valid_only"],
                            confirm_ages=options["confirm_ages"],
                        )
            except (TableReadError, ValidationError, PermissionDenied) as error:
                raise CommandError("；".join(getattr(error, "messages", None) or [str(error)])) from None
        problems = [
            {"row": item.row, "kind": kind, "column": item.column, "message": item.message}
            for kind, items in (("error", plan.errors), ("conflict", plan.conflicts), ("age", plan.warnings))
            for item in items
        ]
        summary = plan.summary()
        if options["json"]:
            self.stdout.write(
                json.dumps({**summary, "committed": options["commit"], "problems": problems}, ensure_ascii=False)
            )
            return
        verb = "已导入" if options["commit"] else "待导入（加 --commit 导入）"
        self.stdout.write(
            f"共 {summary['rows']} 行：{verb} {summary['doses']} 剂次，已有 {summary['unchanged']} 剂次，新登记 "
            f"{summary['new_persons']} 人；错误 {summary['errors']} 行，冲突 {summary['conflicts']} 行，超出年龄范围 "
            f"{summary['warnings']} 行"
        )
        for problem in sorted(problems, key=lambda item: item["row"])[:200]:
            self.stdout.write(f"  第 {problem['row']} 行：{problem['message']}")
        if len(problems) > 200:
            self.stdout.write(f"  …… 另有 {len(problems) - 200} 个问题（加 --json 看全部）")
