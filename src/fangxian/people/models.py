import uuid

from django.db import models
from django.urls import reverse

from fangxian.core.capabilities import Capability as C
from fangxian.core.masking import mask_document, mask_phone
from fangxian.core.models import Unit
from fangxian.core.scoping import ScopedQuerySet
from fangxian.people.choices import DocumentType, ResidenceCategory, Sex


class Person(models.Model):
    """One person, identified by one identity document (type + normalised number)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # No index on the name: it is searched by fragment (icontains), which no btree answers, and every index is
    # paid for on each of the 10⁵ rows a pushed list registers.
    name = models.CharField("姓名", max_length=50)
    doc_type = models.CharField(
        "证件类型", max_length=32, choices=DocumentType.choices, default=DocumentType.RESIDENT_ID
    )
    doc_number = models.CharField("证件号码", max_length=32)
    sex = models.CharField("性别", max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    address = models.CharField("现住址", max_length=200, blank=True)
    # Indexed by the (unit, category) index below, which also answers lookups by unit alone.
    unit = models.ForeignKey(
        Unit, verbose_name="所属单位", on_delete=models.PROTECT, related_name="persons", db_index=False
    )
    category = models.CharField(
        "人口类别", max_length=16, choices=ResidenceCategory.choices, default=ResidenceCategory.REGISTERED
    )
    note = models.CharField("备注", max_length=200, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.PERSONS_VIEW, "change": C.PERSONS_CHANGE, "delete": C.PERSONS_DELETE, "reveal": C.REVEAL}
    # Site staff and labs carry no persons.view: they see the people in their site or tubes, not the registry.

    # Fields written to the change log; derived and bookkeeping fields are left out.
    AUDIT_FIELDS = [
        "name",
        "doc_type",
        "doc_number",
        "sex",
        "birth_date",
        "phone",
        "address",
        "unit_id",
        "category",
        "note",
    ]
    SENSITIVE_FIELDS = {"doc_number": mask_document, "phone": mask_phone}

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = "人员"
        ordering = ["unit__path", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["doc_type", "doc_number"], name="person_document_unique")]
        indexes = [
            models.Index(fields=["doc_number"]),
            models.Index(fields=["phone"]),
            models.Index(fields=["unit", "category"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("people:detail", kwargs={"uuid": self.uuid})

    @property
    def masked_doc_number(self) -> str:
        return mask_document(self.doc_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def age_band(self) -> str:
        """Shown in lists beside the masked number instead of the birth date, which with the visible digits
        would narrow the number down to a few candidates."""
        return age_band(self.birth_date)


def age_band(birth_date, today=None) -> str:
    if birth_date is None:
        return ""
    import datetime

    today = today or datetime.date.today()
    age = today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))
    for low, high in AGE_BANDS:
        if low <= age <= high:
            return f"{low}–{high} 岁"
    return f"{AGE_BANDS[-1][1] + 1} 岁以上"


AGE_BANDS = [(0, 2), (3, 11), (12, 17), (18, 29), (30, 39), (40, 49), (50, 59), (60, 69), (70, 79)]
