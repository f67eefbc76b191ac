from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("居民身份证")
    PASSPORT = "passport", _("护照")
    HK_MACAO_PERMIT = "hk_macao_permit", _("港澳居民来往内地通行证")
    TAIWAN_PERMIT = "taiwan_permit", _("台湾居民来往大陆通行证")
    FOREIGN_PERMANENT_ID = "foreign_permanent_id", _("外国人永久居留身份证")
    HOUSEHOLD_REGISTER = "household_register", _("户口簿")
    MILITARY_OFFICER_ID = "military_officer_id", _("军官证")


class Sex(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")
    UNKNOWN = "unknown", _("未知")


class ResidenceCategory(models.TextChoices):
    REGISTERED = "registered", _("户籍人口")
    RESIDENT = "resident", _("常住人口(非户籍)")
    FLOATING = "floating", _("流动人口")
    TEMPORARY = "temporary", _("临时来访")
