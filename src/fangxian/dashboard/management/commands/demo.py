import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from fangxian import demo


class Command(BaseCommand):
    help = "建立演示区县（惠济区）并启动服务。Build the demo district and serve it."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="只建立数据，不启动服务")
        parser.add_argument("--seed", type=int, default=20221110)
        parser.add_argument("--persons", type=int, default=20_000)
        parser.add_argument("--bind", default="127.0.0.1:8000")

    def handle(self, *args, no_serve, seed, persons, bind, **options):
        if settings.PRODUCTION:
            raise CommandError("生产模式下不能建立演示数据（demo data is refused in production mode）")
        call_command("migrate", interactive=False, verbosity=0)
        if demo.is_built():
            self.stdout.write("演示数据已存在，跳过建立（删除 var/fangxian.sqlite3 可重建）")
        else:
            started = time.monotonic()
            summary = demo.build(seed=seed, persons=persons)
            self.stdout.write(
                f"已建立惠济区演示数据：街道/乡镇 {summary.townships}，村/社区 {summary.communities}，"
                f"网格 {summary.grids}，包保小组 {summary.teams}，人员 {summary.persons}，用时 {time.monotonic() - started:.1f} 秒"
            )
        self.stdout.write("演示账号（密码 fangxian-demo）：")
        for username, display_name, role, _ in demo.DEMO_USERS:
            self.stdout.write(f"  {username:<10} {role.label}　{display_name}")
        if not no_serve:
            call_command("serve", bind=bind, with_worker=True)
