from django.db import models


class DocumentType(models.TextChoices):
    RESIDENT_ID = "resident_id", "居民身份证"
    PASSPORT = "passport", "护照"
    HK_MACAO_PERMIT = "hk_macao_permit", "港澳居民来往内地通行证"
    TAIWAN_PERMIT = "taiwan_permit", "台湾居民来往大陆通行证"
    FOREIGN_PERMANENT_ID = "foreign_permanent_id", "外国人永久居留身份证"
    HOUSEHOLD_REGISTER = "household_register", "户口簿"
    MILITARY_OFFICER_ID = "military_officer_id", "军官证"


class Sex(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"
    UNKNOWN = "unknown", "未知"


class ResidenceCategory(models.TextChoices):
    REGISTERED = "registered", "户籍人口"
    RESIDENT = "resident", "常住人口(非户籍)"
    FLOATING = "floating", "流动人口"
    TEMPORARY = "temporary", "临时来访"
