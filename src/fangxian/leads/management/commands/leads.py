import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fangxian.core import services as core_services
from fangxian.core.audit import audit_context
from fangxian.core.models import Unit, User
from fangxian.core.tabular import TableReadError
from fangxian.leads import services
from fangxian.leads.choices import LeadCategory, LeadSource


class Command(BaseCommand):
    help = "协查名单：import 导入推送名单（先校验全部行；加 --commit 写入）。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="operation", required=True)
        imp = sub.add_parser("import", help="导入推送名单 (.xlsx/.xls/.ods/.csv)")
        imp.add_argument("path")
        imp.add_argument("--unit", required=True, help="接收名单的区县代码，如 410108")
        imp.add_argument("--commit", action="store_true", help="校验无误后写入（默认只校验）")
        imp.add_argument("--json", action="store_true", help="以 JSON 输出统计")
        imp.add_argument("--pusher", default="", help="推送单位，如 郑州市疫情防控指挥部（用于记住列对应）")
        imp.add_argument("--source", default=LeadSource.CITY_PUSH, choices=LeadSource.values)
        imp.add_argument(
            "--category", default=LeadCategory.OTHER, choices=LeadCategory.values, help="无法识别类别时的默认值"
        )
        imp.add_argument("--actor", default="", help="以该用户名义导入（默认系统账号）")

    def handle(self, *args, operation, **options):
        district = Unit.objects.filter(code=options["unit"]).first()
        if district is None:
            raise CommandError(f"单位 {options['unit']} 不存在，请先运行 fangxian units load")
        actor = self._actor(options["actor"])
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        with audit_context(job_id=f"cmd:leads-import:{path.name}"[:64]):
            try:
                batch, summary = services.import_file(
                    actor=actor,
                    district=district,
                    path=path,
                    commit=options["commit"],
                    source=options["source"],
                    pusher=options["pusher"],
                    default_category=options["category"],
                )
            except (TableReadError, ValidationError) as error:
                raise CommandError("；".join(getattr(error, "messages", [str(error)]))) from None
        errors = batch.errors
        result = {
            "batch": str(batch.uuid),
            "committed": batch.status == "committed",
            "rows": summary.get("rows", 0),
            "valid": summary.get("valid", 0),
            "invalid": summary.get("invalid", 0),
            "duplicates_in_file": summary.get("duplicates_in_file", 0),
            "matched_persons": summary.get("matched_persons", 0),
            "new_persons": summary.get("new_persons", 0),
            "leads": summary.get("leads", 0),
            "errors": errors,
        }
        if "already_imported" in summary:
            result["already_imported"] = summary["already_imported"]
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            for error in errors[:200]:
                self.stdout.write(f"第 {error['row']} 行 [{error['column']}] {error['value']}：{error['message']}")
            self.stdout.write(
                f"共 {result['rows']} 行：有效 {result['valid']}，错误 {result['invalid']}，文件内重复 {result['duplicates_in_file']}；"
                f"已有人员 {result['matched_persons']}，新增人员 {result['new_persons']}，生成协查任务 {result['leads']}"
                + (
                    ""
                    if result["committed"]
                    else "（未写入：加 --commit 写入）"
                    if not errors
                    else "（有错误，未写入）"
                )
            )
        if errors:
            raise CommandError("文件有错误，未写入任何人员或任务")

    def _actor(self, username: str) -> User:
        if not username:
            return core_services.service_account()
        actor = User.objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(f"用户 {username} 不存在或已停用")
        return actor
