"""`fangxian permissions [--write]`: the role × capability matrix, as docs/permissions.md shows it."""

from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand

from fangxian.core.capabilities import ROLE_CAPABILITIES, Capability, domain_capabilities
from fangxian.core.choices import GroupDomain, Role

DOC = Path(settings.PROJECT_DIR) / "docs" / "permissions.md"


def render() -> str:
    roles = list(Role)
    lines = [
        "# 权限矩阵 Permissions",
        "",
        "Generated from `src/fangxian/core/capabilities.py` by `fangxian permissions --write`; a test fails when",
        "this file and the code disagree. A grant gives a role over a unit and everything below it; a role may do",
        "only what its capabilities name (denied by default). 隔离点工作人员 see only the rows of the sites they",
        "are named on. Beside the territory, a 区直部门 (department) reaches its own unit and, on records that name",
        "a sector (key groups), its sector's records across the district; a 指挥部专班 (working group) reaches the",
        "whole district with only the part of 指挥部专班成员 that lies in its domain (below).",
        "",
        "## Roles and capabilities",
        "",
        "| 能力 capability | " + " | ".join(str(role.label) for role in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for capability in Capability:
        marks = ["✓" if capability.value in ROLE_CAPABILITIES.get(role, ()) else "" for role in roles]
        lines.append(f"| {capability.label} `{capability.value}` | " + " | ".join(marks) + " |")
    domains = list(GroupDomain)
    lines += [
        "",
        "## Working groups: what each domain carries over the district",
        "",
        "| 能力 capability | " + " | ".join(str(domain.label) for domain in domains) + " |",
        "|---|" + "---|" * len(domains),
    ]
    for capability in Capability:
        marks = ["✓" if capability.value in domain_capabilities(domain) else "" for domain in domains]
        if any(marks):
            lines.append(f"| {capability.label} `{capability.value}` | " + " | ".join(marks) + " |")
    lines += [
        "",
        "## What each kind of record needs",
        "",
        "| 记录 model | 查看 view | 修改 change | 其他 |",
        "|---|---|---|---|",
    ]
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
        declared = getattr(model, "capabilities", None)
        if not declared or not model.__module__.startswith("fangxian."):
            continue
        others = ", ".join(f"{verb}: `{cap}`" for verb, cap in declared.items() if verb not in {"view", "change"})
        lines.append(
            f"| {model._meta.verbose_name} `{model._meta.label_lower}` | `{declared.get('view', '—')}` | "
            f"`{declared.get('change', '—')}` | {others} |"
        )
    lines += [
        "",
        "A verb a model does not name is refused to every role. Exporting a list needs seeing it and "
        "`lists.export`. The change and access logs show a record only to `audit.view`, and only of the kinds of "
        "record the reader may see.",
        "",
    ]
    return "\n".join(lines)


class Command(BaseCommand):
    help = "输出角色与能力矩阵（--write 写入 docs/permissions.md）"

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true")

    def handle(self, *args, write=False, **options):
        text = render()
        if not write:
            self.stdout.write(text)
            return
        DOC.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {DOC}")
