import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from fangxian.core import services
from fangxian.core.choices import UnitLevel
from fangxian.core.models import Unit
from fangxian.core.tabular import TableReadError, read_rows


class Command(BaseCommand):
    help = "单位层级：load 载入区县及其真实街道/乡镇；bodies 建立区直部门与专班；import 从 xlsx/csv 导入村/社区与网格。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="operation", required=True)
        load = sub.add_parser("load", help="载入区县（6 位代码）及其街道/乡镇")
        load.add_argument("code")
        bodies = sub.add_parser("bodies", help="建立区直部门与指挥部专班（标准清单，重复运行不变）")
        bodies.add_argument("--district", required=True, help="区县代码，如 410108")
        imp = sub.add_parser("import", help="导入村/社区、网格")
        imp.add_argument("path")
        imp.add_argument("--district", required=True, help="区县代码，如 410108")
        imp.add_argument("--commit", action="store_true", help="校验通过后写入（默认只校验）")
        imp.add_argument("--json", action="store_true", help="以 JSON 输出结果")

    def handle(self, *args, operation, **options):
        if operation == "load":
            self.load(options["code"])
        elif operation == "bodies":
            self.bodies(options["district"])
        else:
            self.import_units(options)

    def load(self, code):
        try:
            with transaction.atomic():
                district, created = services.load_county(code=code)
        except ValidationError as error:
            raise CommandError("；".join(error.messages)) from None
        total = district.children.filter(level=UnitLevel.TOWNSHIP).count()
        self.stdout.write(f"{district.name}（{district.code}）：街道/乡镇 {total} 个，新增 {created} 个")

    def bodies(self, code):
        district = Unit.objects.filter(code=code, level=UnitLevel.DISTRICT).first()
        if district is None:
            raise CommandError(f"区县 {code} 尚未载入，请先运行 fangxian units load {code}")
        with transaction.atomic():
            created = services.load_standard_bodies(actor=services.service_account(), district=district)
        total = district.children.filter(level__in=[UnitLevel.DEPARTMENT, UnitLevel.WORKING_GROUP]).count()
        self.stdout.write(f"{district.name}：区直部门与指挥部专班 {total} 个，新增 {created} 个")

    def import_units(self, options):
        district = Unit.objects.filter(code=options["district"], level=UnitLevel.DISTRICT).first()
        if district is None:
            raise CommandError(
                f"区县 {options['district']} 尚未载入，请先运行 fangxian units load {options['district']}"
            )
        try:
            rows = read_rows(options["path"])
        except (TableReadError, OSError) as error:
            raise CommandError(str(error)) from None
        actor = services.service_account()
        plan = services.plan_unit_import(actor=actor, rows=rows, district=district)
        summary = {"units": len(plan.units), "errors": [e.__dict__ for e in plan.errors], "created": 0, "updated": 0}
        if options["commit"] and not plan.errors:
            with transaction.atomic():
                summary["created"], summary["updated"] = services.commit_unit_import(
                    actor=actor, plan=plan, district=district
                )
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        else:
            for error in plan.errors:
                self.stdout.write(f"第 {error.row} 行 [{error.column}] {error.value}：{error.message}")
            self.stdout.write(
                f"有效 {summary['units']} 行，错误 {len(plan.errors)} 行；新增 {summary['created']}，更新 {summary['updated']}"
                + ("" if options["commit"] else "（仅校验，加 --commit 写入）")
            )
        if plan.errors:
            raise CommandError("文件有错误，未写入任何数据")
