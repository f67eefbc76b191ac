"""The COVID-19 vaccines given in mainland China, with their schedules as the national technical guidance set them:
two doses of an inactivated vaccine at least 3 weeks apart (ages 3 and over since July 2021), one dose of the
adenovirus-vector vaccine, three doses of the recombinant-protein vaccine at least 4 weeks apart; a booster at least
3 months after the full series (the interval was cut from 6 to 3 months in February 2022). A district edits them as
data."""

from django.db import migrations

PRODUCTS = [
    # code, name, manufacturer, platform, series doses, series interval, booster interval, min age, aliases
    ("bibp", "新型冠状病毒灭活疫苗（Vero细胞）", "北京生物制品研究所有限责任公司", "inactivated", 2, 21, 90, 3,
     ["北京生物", "国药北京", "国药中生北京", "国药集团中国生物北京生物制品研究所", "BBIBP-CorV"]),
    ("wibp", "新型冠状病毒灭活疫苗（Vero细胞）", "武汉生物制品研究所有限责任公司", "inactivated", 2, 21, 90, 3,
     ["武汉生物", "国药武汉", "国药中生武汉", "国药集团中国生物武汉生物制品研究所"]),
    ("sinovac", "新型冠状病毒灭活疫苗（Vero细胞）", "北京科兴中维生物技术有限公司", "inactivated", 2, 21, 90, 3,
     ["科兴", "科兴中维", "北京科兴", "克尔来福", "CoronaVac"]),
    ("kangtai", "新型冠状病毒灭活疫苗（Vero细胞）", "深圳康泰生物制品股份有限公司", "inactivated", 2, 21, 90, 18,
     ["康泰", "深圳康泰", "北京民海"]),
    ("cansino", "重组新型冠状病毒疫苗（5型腺病毒载体）", "康希诺生物股份公司", "adenovirus_vector", 1, 0, 90, 18,
     ["康希诺", "克威莎", "Ad5-nCoV", "腺病毒载体疫苗"]),
    ("cansino_inhaled", "吸入用重组新型冠状病毒疫苗（5型腺病毒载体）", "康希诺生物股份公司（吸入用）", "adenovirus_vector",
     1, 0, 90, 18, ["克威莎雾优", "吸入用腺病毒载体疫苗", "吸入用"]),
    ("zf2001", "重组新型冠状病毒蛋白疫苗（CHO细胞）", "安徽智飞龙科马生物制药有限公司", "recombinant_protein", 3, 28, 90, 18,
     ["智飞", "智飞龙科马", "ZF2001", "智克威得", "重组蛋白疫苗"]),
]


def add_products(apps, schema_editor):
    product = apps.get_model("vaccination", "Product")
    for code, name, manufacturer, platform, doses, interval, booster, min_age, aliases in PRODUCTS:
        product.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "manufacturer": manufacturer,
                "platform": platform,
                "series_doses": doses,
                "series_interval_days": interval,
                "booster_interval_days": booster,
                "min_age": min_age,
                "aliases": aliases,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("vaccination", "0001_vaccination")]

    operations = [migrations.RunPython(add_products, migrations.RunPython.noop)]
