"""Dose records exported by the immunisation information system (免疫规划信息系统), xlsx/xls/csv in UTF-8 or GBK,
imported in two phases. The check reads every row, matches it by document to the registry and to the doses already
held, and lists every error, every conflict (the same dose with another date, a dose out of the series' order, an
interval below the product's minimum) and every dose outside the product's ages — writing nothing. The commit reads
the kept file again, checks again against what the registry holds by then, and writes in one transaction: the new
people, the doses that passed, a change record for each. Conflicts are never written (someone decides which record
is right); a dose outside the product's ages only when the importer confirms it. Importing the same file again
writes nothing: a dose is known by document, kind and date."""

import datetime
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.utils import timezone

from fangxian.core.audit import ChangeRows, plain_values, record_access, record_change, require_actor
from fangxian.core.bulk import RowWriter
from fangxian.core.capabilities import Capability
from fangxian.core.choices import AccessKind, ChangeKind
from fangxian.core.masking import mask_numbers_in_text
from fangxian.core.models import Unit, User, access_unit
from fangxian.core.scoping import require, scope_unit_ids
from fangxian.core.tabular import RowError, TableReadError, find_header, fingerprint, keep_copy, read_rows
from fangxian.leads.intake import document_type_of
from fangxian.people.choices import DocumentType
from fangxian.people.documents import Document, DocumentError, parse_document
from fangxian.people.models import Person
from fangxian.people.services import PersonRow, bulk_register_persons
from fangxian.vaccination.choices import BOOSTER_KINDS, SERIES_ORDER, DoseKind, DoseSource, ImportStatus
from fangxian.vaccination.models import Dose, DoseImport, Product
from fangxian.vaccination.services import status as status_service
from fangxian.vaccination.services.doses import check
from fangxian.vaccination.services.status import DoseFact

HEADERS = {
    "name": ["姓名", "受种者姓名", "受种者"],
    "doc_type": ["证件类型"],
    "doc_number": ["证件号码", "身份证号", "身份证号码", "证件号", "受种者证件号码"],
    "birth_date": ["出生日期"],
    "phone": ["联系电话", "手机号", "电话"],
    "address": ["现住址", "居住地址", "住址"],
    "given_on": ["接种日期", "接种时间"],
    "kind": ["剂次", "接种剂次", "针次"],
    "product": ["疫苗名称", "疫苗", "疫苗种类"],
    "manufacturer": ["生产企业", "生产厂家", "厂家", "疫苗厂家"],
    "batch_number": ["疫苗批号", "批号"],
    "site_name": ["接种单位", "接种点", "接种门诊"],
}
REQUIRED = ("name", "doc_number", "given_on", "kind")
IMPORT_DIR_NAME = "vaccination-imports"
# Problems kept on the import for its page (the first of each kind); the counts cover all of them.
KEPT_PROBLEMS = 500

_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "首": 1}
_DAY_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d")


def parse_day(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text)  # the usual case, and much the fastest
    except ValueError:
        pass
    text = text.strip().replace("年", "-").replace("月", "-").replace("日", "")
    if not text:
        return None
    head = text.split(" ")[0].split("T")[0]
    for pattern in _DAY_FORMATS:
        try:
            return datetime.datetime.strptime(head, pattern).date()
        except ValueError:
            continue
    if head.isdigit() and 30000 <= int(head) <= 80000:  # an Excel day number that lost its date format
        return datetime.date(1899, 12, 30) + datetime.timedelta(days=int(head))
    return None


def dose_number(text: str) -> tuple[str | None, int | None]:
    """A kind named outright (加强, 序贯加强), or a dose number (第2剂, 2, 第二针) resolved against the product."""
    compact = re.sub(r"\s", "", text)
    if "序贯" in compact:
        return DoseKind.HETEROLOGOUS_BOOSTER, None
    if "第二剂次加强" in compact or "第二次加强" in compact or "第2剂次加强" in compact:
        return DoseKind.SECOND_BOOSTER, None
    if "加强" in compact:
        return DoseKind.BOOSTER, None
    digits = re.search(r"\d+", compact)
    if digits:
        return None, int(digits.group())
    for numeral, number in _NUMERALS.items():
        if numeral in compact:
            return None, number
    return None, None


class ProductIndex:
    """Products found by what a file calls them: the manufacturer first (several products share a name), then the
    name; a row is refused when neither settles on one product."""

    def __init__(self, products: list[Product]):
        self.by_word: dict[str, set[int]] = {}
        self.products = {product.pk: product for product in products}
        for product in products:
            for word in [product.code, product.name, product.manufacturer, *product.aliases]:
                self.by_word.setdefault(_normal(word), set()).add(product.pk)

    def find(self, name: str, manufacturer: str) -> Product | None:
        candidates: set[int] | None = None
        for text in (manufacturer, name):
            if not text:
                continue
            found = self.by_word.get(_normal(text)) or self._containing(text)
            candidates = found if candidates is None else (candidates & found or candidates)
            if candidates and len(candidates) == 1:
                return self.products[next(iter(candidates))]
        return None

    def _containing(self, text: str) -> set[int]:
        """A longer wording ("北京科兴中维生物技术有限公司（克尔来福）") that holds a known word."""
        normal = _normal(text)
        found: set[int] = set()
        for word, ids in self.by_word.items():
            if len(word) >= 2 and word in normal:
                found |= ids
        return found


def _normal(text: str) -> str:
    return re.sub(r"[\s()（）]", "", text).lower()


@dataclass
class PlannedDose:
    row: int
    key: tuple[str, str]  # (doc_type, number)
    kind: str
    product_id: int
    given_on: datetime.date
    batch_number: str
    site_name: str
    outside_ages: bool


@dataclass
class NewPerson:
    document: Document
    name: str
    phone: str
    address: str


@dataclass
class DosePlan:
    rows: int = 0
    doses: list[PlannedDose] = field(default_factory=list)
    unchanged: int = 0
    new_persons: dict[tuple[str, str], NewPerson] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    conflicts: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)

    @property
    def warned_rows(self) -> set[int]:
        return {warning.row for warning in self.warnings}

    def summary(self) -> dict:
        return {
            "rows": self.rows,
            "doses": len(self.doses),
            "unchanged": self.unchanged,
            "new_persons": len(self.new_persons),
            "errors": len({error.row for error in self.errors}),
            "conflicts": len({conflict.row for conflict in self.conflicts}),
            "warnings": len(self.warned_rows),
        }


@dataclass
class _Row:
    line: int
    key: tuple[str, str]
    name: str
    phone: str
    address: str
    birth_date: datetime.date | None
    kind: str | None
    number: int | None
    product: Product
    given_on: datetime.date
    batch_number: str
    site_name: str


def plan(*, actor: User, rows: list[list[str]], today: datetime.date | None = None) -> DosePlan:
    """Phase one over a file's rows: nothing is written."""
    require_actor(actor)
    today = today or timezone.localdate()
    header_at, columns = find_header(
        rows,
        HEADERS,
        REQUIRED,
        missing_header="未找到表头：需要“姓名”“证件号码”“接种日期”“剂次”四列（另需“疫苗名称”或“生产企业”）",
    )
    if "product" not in columns and "manufacturer" not in columns:
        raise TableReadError("缺少必需的列：疫苗名称或生产企业（至少一列）")
    index = ProductIndex(list(Product.objects.all()))
    result = DosePlan()
    parsed: list[_Row] = []
    failed: dict[str, int] = {}  # number → the first row of it that could not be read
    for offset, raw in enumerate(rows[header_at + 1 :]):
        line = header_at + 2 + offset
        value = {name: (raw[position].strip() if position < len(raw) else "") for name, position in columns.items()}
        if not any(value.values()):
            continue
        result.rows += 1
        row = _parse(line, value, index, result.errors, today, failed)
        if row is not None:
            parsed.append(row)
    matched, outside = _against_registry(actor, parsed, result, index, today, failed)
    for problem in (*result.errors, *result.conflicts, *result.warnings):
        # A number typed wrong is still someone's number: it is masked wherever the problem is shown.
        problem.value = mask_numbers_in_text(problem.value)
        problem.message = mask_numbers_in_text(problem.message)
    unit = access_unit(actor)
    if unit is not None and (matched or outside):
        record_access(
            actor=actor,
            kind=AccessKind.SEARCH,
            unit=unit,
            model="people.person",
            detail={"vaccination_import": result.rows, "matched": matched, "outside_scope": outside},
        )
    return result


def _parse(
    line: int, value: dict, index: ProductIndex, errors: list[RowError], today: datetime.date, failed: dict[str, int]
) -> _Row | None:
    before = len(errors)

    def error(column: str, message: str) -> None:
        errors.append(RowError(line, HEADERS[column][0], value.get(column, ""), message))

    doc_type: str = DocumentType.RESIDENT_ID
    if value.get("doc_type"):
        doc_type = document_type_of(value["doc_type"]) or ""
        if not doc_type:
            error("doc_type", "无法识别的证件类型")
    document = None
    if not value.get("doc_number"):
        error("doc_number", "证件号码为空")
    elif doc_type:
        try:
            document = parse_document(doc_type, value["doc_number"], today=today)
        except DocumentError as problem:
            error("doc_number", str(problem))
    if not value.get("name"):
        error("name", "姓名为空")
    given_on = parse_day(value.get("given_on", ""))
    if given_on is None:
        error("given_on", "接种日期为空或无法识别（应为 2021-05-01 这样的日期）")
    kind, number = dose_number(value.get("kind", ""))
    if kind is None and (number is None or not 1 <= number <= 5):
        error("kind", "无法识别的剂次（应为 第1剂、第2剂、第3剂、加强、序贯加强 等）")
    product = index.find(value.get("product", ""), value.get("manufacturer", ""))
    if product is None:
        column = "manufacturer" if value.get("manufacturer") else "product"
        error(column, "无法识别的疫苗（请核对疫苗名称与生产企业）")
    birth_date = document.birth_date if document else None
    if birth_date is None and value.get("birth_date"):
        birth_date = parse_day(value["birth_date"])
        if birth_date is None or birth_date > today:
            error("birth_date", "出生日期无法识别")
            birth_date = None
    if len(errors) > before:
        if document is not None:
            failed.setdefault(document.number, line)
        return None
    assert document is not None and given_on is not None and product is not None
    return _Row(
        line=line,
        key=(document.doc_type, document.number),
        name=value["name"][:50],
        phone=value.get("phone", "")[:20],
        address=value.get("address", "")[:200],
        birth_date=birth_date,
        kind=kind,
        number=number,
        product=product,
        given_on=given_on,
        batch_number=value.get("batch_number", "")[:40],
        site_name=value.get("site_name", "")[:100],
    )


LOOKUP_CHUNK = 5_000


def _persons_with(numbers: list[str]):
    """(id, doc_type, doc_number, unit_id, birth_date) of the persons holding these numbers. On PostgreSQL the
    numbers go as one text split on the server (an IN list of 10⁵ placeholders costs more to build than to run)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, doc_type, doc_number, unit_id, birth_date FROM people_person "
                "WHERE doc_number = ANY(string_to_array(%s, E'\\n'))",
                ["\n".join(numbers)],
            )
            yield from cursor.fetchall()
        return
    for start in range(0, len(numbers), LOOKUP_CHUNK):
        yield from Person.objects.filter(doc_number__in=numbers[start : start + LOOKUP_CHUNK]).values_list(
            "id", "doc_type", "doc_number", "unit_id", "birth_date"
        )


def _against_registry(
    actor: User, parsed: list[_Row], result: DosePlan, index: ProductIndex, today, failed: dict[str, int]
) -> tuple[int, int]:
    """Each person's rows against the doses they hold, in the order of the series. A person's rows go together:
    when one of them cannot be imported (an error, a conflict), none of theirs is, so nobody's record is built on
    a disagreement. Returns how many registered people were matched in scope and outside it."""
    # Matched on the number alone: the registry may hold it under another document type (户口簿 for a child).
    persons = {
        number: (pk, unit_id, birth_date)
        for pk, _type, number, unit_id, birth_date in _persons_with(sorted({row.key[1] for row in parsed}))
    }
    held: dict[int, list[DoseFact]] = {}
    for person_id, held_kind, product_id, given_on in status_service.doses_of(
        sorted(pk for pk, _unit, _birth in persons.values())
    ):
        held.setdefault(person_id, []).append(DoseFact(held_kind, product_id, given_on))
    in_scope = set(scope_unit_ids(actor, Capability.DOSES_RECORD))
    by_person: dict[tuple[str, str], list[_Row]] = {}
    for row in parsed:
        by_person.setdefault(row.key, []).append(row)
    products = index.products
    matched = outside = 0
    for key, rows in by_person.items():
        known = persons.get(key[1])
        if known is not None and known[1] not in in_scope and not _is_everywhere(actor):
            outside += 1
            for row in rows:
                result.errors.append(
                    RowError(row.line, "证件号码", "", "该人员不在您可导入的范围内，请由其属地或区级导入")
                )
            continue
        matched += known is not None
        errors_before, conflicts_before, warnings_before = (
            len(result.errors),
            len(result.conflicts),
            len(result.warnings),
        )
        planned = _person_rows(key, rows, known, held, products, result, today)
        refused = [problem.row for problem in (*result.errors[errors_before:], *result.conflicts[conflicts_before:])]
        if key[1] in failed:
            refused.append(failed[key[1]])
        if refused:
            del result.warnings[warnings_before:]  # their doses are held back whole: no confirmation to ask
            first_refused = min(refused)
            result.conflicts.extend(
                RowError(
                    dose.row,
                    "剂次",
                    str(DoseKind(dose.kind).label),
                    f"同一人员第 {first_refused} 行有误或有冲突，本行一并暂不导入",
                )
                for dose in planned
            )
            continue
        result.doses.extend(planned)
        if known is None and planned:
            row = rows[0]
            document = parse_document(key[0], key[1], today=today)
            if document.birth_date is None and row.birth_date is not None:
                document = Document(document.doc_type, document.number, row.birth_date, document.sex)
            result.new_persons[key] = NewPerson(document, row.name, row.phone, row.address)
    return matched, outside


def _person_rows(key, rows, known, held, products, result: DosePlan, today) -> list[PlannedDose]:
    facts = list(held.get(known[0], [])) if known else []
    birth_date = known[2] if known and known[2] else rows[0].birth_date
    series_product = _series_product(facts, rows, products)
    # In the order of the series, then by date: when a "second dose" is dated before the first, the row that
    # says second is the one in doubt.
    rows.sort(key=lambda row: (_place(row), row.given_on))
    planned: list[PlannedDose] = []
    for row in rows:
        kind: str | None = row.kind or _kind_of(row.number or 0, row.product, series_product)
        if kind is None:
            result.errors.append(RowError(row.line, "剂次", str(row.number), "剂次超出该疫苗的接种程序"))
            continue
        fact = DoseFact(kind, row.product.pk, row.given_on)
        verdict = check(dose=fact, birth_date=birth_date, held=facts, products=products, today=today)
        if verdict.same:
            result.unchanged += 1
            continue
        if verdict.errors:
            result.errors.extend(
                RowError(row.line, "接种日期", row.given_on.isoformat(), text) for text in verdict.errors
            )
            continue
        if verdict.conflicts:
            result.conflicts.extend(
                RowError(row.line, "剂次", str(DoseKind(kind).label), text) for text in verdict.conflicts
            )
            continue
        if verdict.warnings:
            result.warnings.extend(RowError(row.line, "疫苗名称", row.product.name, text) for text in verdict.warnings)
        facts.append(fact)
        planned.append(
            PlannedDose(
                row=row.line,
                key=key,
                kind=kind,
                product_id=row.product.pk,
                given_on=row.given_on,
                batch_number=row.batch_number,
                site_name=row.site_name,
                outside_ages=bool(verdict.warnings),
            )
        )
    return planned


_KIND_PLACE = {kind: place for place, kind in enumerate([*SERIES_ORDER, *BOOSTER_KINDS], start=1)}


def _place(row: "_Row") -> int:
    if row.kind is not None:
        return _KIND_PLACE[row.kind]
    return row.number or 0


def _is_everywhere(actor: User) -> bool:
    return actor.is_superuser or getattr(actor, "is_service_account", False)


def _series_product(facts: list[DoseFact], rows: list[_Row], products: dict[int, Product]) -> Product | None:
    """The product of the person's first series dose: it decides what "the third dose" is."""
    for fact in facts:
        if fact.kind == DoseKind.FIRST:
            return products[fact.product_id]
    firsts = [row for row in rows if row.kind is None and row.number == 1]
    return firsts[0].product if firsts else None


def _kind_of(number: int, product: Product, series_product: Product | None) -> str | None:
    base = series_product or product
    if number <= base.series_doses:
        return list(SERIES_ORDER)[number - 1]
    if number == base.series_doses + 1:
        return DoseKind.HETEROLOGOUS_BOOSTER if product.platform != base.platform else DoseKind.BOOSTER
    if number == base.series_doses + 2:
        return DoseKind.SECOND_BOOSTER
    return None


def check_file(
    *, actor: User, path: Path, file_name: str, unit: Unit, person_unit: Unit | None
) -> tuple[DoseImport, DosePlan]:
    """Phase one for a file: the plan, and the import recorded (with a kept copy of the file) for the commit."""
    require_actor(actor)
    require(actor, Capability.DOSES_RECORD, unit)
    if person_unit is not None:
        require(actor, Capability.PERSONS_CHANGE, person_unit)
    result = plan(actor=actor, rows=read_rows(path))
    digest = fingerprint(path)
    summary = result.summary()
    batch = DoseImport.objects.create(
        unit=unit,
        person_unit=person_unit,
        file_name=file_name[:200],
        file_hash=digest,
        stored_path=str(keep_copy(path, digest, settings.VAR_DIR / IMPORT_DIR_NAME)),
        rows=summary["rows"],
        written=0,
        unchanged=summary["unchanged"],
        new_persons=summary["new_persons"],
        conflicts=summary["conflicts"],
        errors=summary["errors"],
        warnings=summary["warnings"],
        imported_by=actor,
    )
    record_change(
        actor=actor,
        kind=ChangeKind.CREATE,
        instance=batch,
        unit=unit,
        after={"file_name": batch.file_name, **summary},
        reason="上传接种记录（待导入）",
    )
    return batch, result


def commit(
    *,
    actor: User,
    batch: DoseImport,
    confirm_ages: bool = False,
    valid_only: bool = False,
    today: datetime.date | None = None,
) -> DosePlan:
    """Phase two: check the kept file again and write it. With errors or conflicts the import is refused unless
    `valid_only` (then only the rows that passed are written); doses outside a product's ages are written only
    with `confirm_ages`. Callers own the transaction."""
    require_actor(actor)
    require(actor, Capability.DOSES_RECORD, batch.unit)
    locked = DoseImport.objects.select_for_update().get(pk=batch.pk)
    if locked.status != ImportStatus.CHECKED:
        raise ValidationError("该文件已导入，无需重复导入")
    result = plan(actor=actor, rows=read_rows(batch.stored_path), today=today)
    if (result.errors or result.conflicts) and not valid_only:
        raise ValidationError(
            f"文件有 {len({e.row for e in result.errors})} 行错误、{len({c.row for c in result.conflicts})} 行冲突："
            "请修正后重新上传，或选择“只导入无误的行”"
        )
    if result.warnings and not confirm_ages:
        # A person's doses go together: a later dose checked against an unconfirmed one is not written alone.
        warned = {dose.key for dose in result.doses if dose.row in result.warned_rows}
        result.doses = [dose for dose in result.doses if dose.key not in warned]
        keys = {dose.key for dose in result.doses}
        result.new_persons = {key: person for key, person in result.new_persons.items() if key in keys}
    person_unit = batch.person_unit
    if result.new_persons:
        if person_unit is None:
            raise ValidationError("文件中有未登记的人员：请选择新人员登记到哪个单位")
        require(actor, Capability.PERSONS_CHANGE, person_unit)
    reason = f"导入接种记录：{batch.file_name}"
    try:
        new_ids = bulk_register_persons(
            actor=actor,
            rows=[
                PersonRow(
                    unit=person_unit,
                    name=person.name,
                    document=person.document,
                    phone=person.phone,
                    address=person.address,
                )
                for person in result.new_persons.values()
                if person_unit is not None
            ],
            reason=reason,
        )
    except IntegrityError:
        raise ValidationError("导入期间有人员被另行登记，请重新核对后导入") from None
    ids = {key[1]: pk for key, pk in zip(result.new_persons, new_ids, strict=True)}
    units: dict[int, int] = {}
    for pk, _type, number, unit_id, _birth in _persons_with(
        sorted({d.key[1] for d in result.doses if d.key[1] not in ids})
    ):
        ids[number] = pk
        units[pk] = unit_id
    person_unit_id = batch.person_unit_id or batch.unit_id
    writer = RowWriter(Dose)
    changes = ChangeRows(actor=actor, kind=ChangeKind.CREATE, model_label="vaccination.dose", reason=reason)
    now = timezone.now()
    rows = []
    for dose in result.doses:
        person_id = ids[dose.key[1]]
        dose_uuid = uuid.uuid4()
        values = {
            "person_id": person_id,
            "kind": dose.kind,
            "product_id": dose.product_id,
            "given_on": dose.given_on,
            "batch_number": dose.batch_number,
            "site_name": dose.site_name,
            "source": DoseSource.IMPORTED,
            "outside_ages": dose.outside_ages,
        }
        rows.append(
            writer.values(uuid=dose_uuid, import_batch_id=batch.pk, recorded_by_id=actor.pk, recorded_at=now, **values)
        )
        changes.add(
            object_id=str(dose_uuid),
            object_repr=f"{DoseKind(dose.kind).label} {dose.given_on:%Y-%m-%d}",
            unit_id=units.get(person_id, person_unit_id),
            after=plain_values(values),
        )
    try:
        writer.insert(rows)
    except IntegrityError:
        raise ValidationError("导入期间有剂次被另行录入，请重新核对后导入") from None
    changes.insert()
    status_service.refresh(ids[dose.key[1]] for dose in result.doses)
    summary = result.summary()
    locked.status = ImportStatus.COMMITTED
    locked.written = len(rows)
    locked.unchanged = summary["unchanged"]
    locked.new_persons = len(new_ids)
    locked.conflicts, locked.errors, locked.warnings = summary["conflicts"], summary["errors"], summary["warnings"]
    locked.imported_at = now
    locked.save()
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=locked,
        unit=batch.unit,
        after={
            "written": len(rows),
            "new_persons": len(new_ids),
            "confirm_ages": confirm_ages,
            "valid_only": valid_only,
        },
        reason=reason,
    )
    return result
