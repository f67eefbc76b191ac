"""The venue categories a district starts with: the usual stay of a visit and the department that regulates them.
A district edits them as data."""

from django.db import migrations

CATEGORIES = [
    # code, name, default stay (minutes), regulator, requires a 48-hour negative at the door
    ("supermarket", "商场超市", 60, "商务局", False),
    ("market", "农贸市场", 45, "市场监管局", False),
    ("restaurant", "餐饮", 90, "市场监管局", False),
    ("pharmacy", "药店", 15, "市场监管局", False),
    ("hotel", "宾馆酒店", 720, "文化广电和旅游局", False),
    ("entertainment", "娱乐场所", 180, "文化广电和旅游局", False),
    ("school", "中小学校", 480, "教育局", True),
    ("kindergarten", "幼儿园", 480, "教育局", True),
    ("hospital", "医疗机构", 120, "卫生健康委员会", True),
    ("care_home", "养老机构", 720, "民政局", True),
    ("transport", "交通场站", 60, "交通运输局", False),
    ("office", "机关企事业单位", 480, "所属主管部门", False),
    ("construction", "建筑工地", 600, "住房和城乡建设局", False),
    ("religious", "宗教活动场所", 120, "民族宗教事务局", False),
    ("other", "其他", 60, "属地乡镇（街道）", False),
]


def add_categories(apps, schema_editor):
    category = apps.get_model("venues", "VenueCategory")
    for order, (code, name, stay, regulator, negative) in enumerate(CATEGORIES):
        category.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "default_stay_minutes": stay,
                "regulator": regulator,
                "requires_negative": negative,
                "order": order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("venues", "0001_venues")]

    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
