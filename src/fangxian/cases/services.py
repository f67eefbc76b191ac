"""The rules of case investigation. Services never commit: callers own atomic().

A case opens once per person and episode (a second positive of someone with an open case is that case); where
it was found (管控中 / 社会面) is derived, never typed: the command office is judged on it. The itinerary is
prefilled from the person's scans and sampling visits and edited by the investigators; contacts are classified
with their last exposure (the anchor of their measure) and close and secondary contacts become leads with the
district's deadlines, one person never twice; a contact living in another district goes out in a 协查函.
"""

import datetime
import logging
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from fangxian.cases.choices import CaseClass, CaseStatus, ContactClass, EntrySource, FoundBy, FoundIn, Relation
from fangxian.cases.models import Case, CasePolicy, Contact, ItineraryEntry, Reclassification
from fangxian.core.audit import record_change, record_changes_bulk, require_actor, snapshot
from fangxian.core.capabilities import Capability
from fangxian.core.choices import ChangeKind
from fangxian.core.models import Unit, User
from fangxian.core.scoping import require, require_row
from fangxian.people.documents import DocumentError, parse_document
from fangxian.people.models import Person

logger = logging.getLogger(__name__)

DEFAULT_LOOKBACK_DAYS = 4
# A prefilled sampling visit: the queue and the swab, as a stay of this length at the point.
SAMPLING_VISIT = datetime.timedelta(minutes=15)


def policy_for(district: Unit) -> CasePolicy:
    """The district's targets, or the defaults (unsaved) when it has set none."""
    return CasePolicy.objects.filter(district=district).first() or CasePolicy(district=district)


def lookback_days(district: Unit) -> int:
    from fangxian.control.services import protocol_for

    return protocol_for(district).lookback_days or DEFAULT_LOOKBACK_DAYS


def window(case: Case) -> tuple[datetime.datetime, datetime.datetime]:
    """The look-back window: from midnight N days before onset (or the first positive sampling) to when the case
    was confirmed (or reported): where the case may have infected others."""
    first_day = case.lookback_from() - datetime.timedelta(days=lookback_days(case.district))
    since = timezone.make_aware(datetime.datetime.combine(first_day, datetime.time.min))
    until = max(case.confirmed_at or case.reported_at, case.first_positive_at)
    return since, until


@dataclass(frozen=True)
class Countdown:
    label: str
    due: datetime.datetime
    done_at: datetime.datetime | None

    def remaining(self, now: datetime.datetime) -> datetime.timedelta:
        return self.due - now

    def overdue(self, now: datetime.datetime) -> bool:
        return (self.done_at or now) > self.due


def countdowns(case: Case) -> list[Countdown]:
    policy = policy_for(case.district)
    return [
        Countdown("核心信息", case.reported_at + datetime.timedelta(hours=policy.core_hours), case.core_done_at),
        Countdown("流调报告", case.reported_at + datetime.timedelta(hours=policy.report_hours), case.report_done_at),
    ]


def found_in_for(person: Person, at: datetime.datetime) -> str:
    """管控中发现 when the person was under a measure or held by a recall when sampled positive; else 社会面."""
    from fangxian.control.models import Measure
    from fangxian.testing.models import Recall

    day = timezone.localdate(at)
    under_measure = Measure.objects.filter(person=person, start_date__lte=day).exclude(ended_at__lt=at).exists()
    held = Recall.objects.filter(doc_number=person.doc_number, raised_at__lte=at).exclude(closed_at__lt=at).exists()
    return FoundIn.UNDER_CONTROL if under_measure or held else FoundIn.COMMUNITY


def _record_created(actor: User, instance, unit: Unit, fields: list[str], reason: str) -> None:
    """The change record of a row just written: what it holds, under the unit it belongs to."""
    record_change(
        actor=actor,
        kind=ChangeKind.CREATE,
        instance=instance,
        unit=unit,
        after=snapshot(instance, fields),
        reason=reason,
    )


# No case is older than the epidemic; an onset long before the first positive sampling is a typing error (and
# would stretch the look-back window over years).
EARLIEST = datetime.date(2019, 12, 1)
ONSET_BEFORE_SAMPLING = datetime.timedelta(days=30)


def _check_times(*, onset_date, first_positive_at, confirmed_at, now) -> None:
    errors = {}
    if first_positive_at > now + datetime.timedelta(minutes=5):
        errors["first_positive_at"] = "首次阳性采样时间不能晚于现在"
    elif timezone.localdate(first_positive_at) < EARLIEST:
        errors["first_positive_at"] = f"首次阳性采样时间不能早于 {EARLIEST:%Y-%m-%d}"
    if onset_date and onset_date > timezone.localdate(now):
        errors["onset_date"] = "发病日期不能晚于今天"
    elif onset_date and onset_date < timezone.localdate(first_positive_at) - ONSET_BEFORE_SAMPLING:
        errors["onset_date"] = "发病日期早于首次阳性采样 30 天以上，请核对"
    if confirmed_at and confirmed_at > now + datetime.timedelta(minutes=5):
        errors["confirmed_at"] = "确诊时间不能晚于现在"
    elif confirmed_at:
        if confirmed_at < first_positive_at:
            errors["confirmed_at"] = "确诊时间不能早于首次阳性采样时间"
        if onset_date and onset_date > timezone.localdate(confirmed_at):
            errors["onset_date"] = "发病日期不能晚于确诊日期"
    if errors:
        raise ValidationError(errors)


def open_case(
    *,
    actor: User,
    person: Person,
    classification: str,
    found_by: str,
    first_positive_at: datetime.datetime,
    onset_date: datetime.date | None = None,
    confirmed_at: datetime.datetime | None = None,
    opened_from: str = "",
    now: datetime.datetime | None = None,
) -> Case:
    """A new case for `person` (or a refusal naming the open one: a second positive of one episode is the same
    case). Numbered in its district (病例1, 2 …) under a lock on the district, so two at once never share one."""
    require_actor(actor)
    now = now or timezone.now()
    district = person.unit.district()
    require(actor, Capability.CASES_INVESTIGATE, person.unit)
    if classification not in CaseClass.values or found_by not in FoundBy.values:
        raise ValidationError("请选择病例分类和发现方式")
    _check_times(onset_date=onset_date, first_positive_at=first_positive_at, confirmed_at=confirmed_at, now=now)
    current = Case.objects.filter(person=person).exclude(status=CaseStatus.CLOSED).first()
    if current is not None:
        raise ValidationError(f"该人员已有未结案的{current}，同一次感染不重复建病例")
    Unit.objects.select_for_update().filter(pk=district.pk).first()  # numbering, one case at a time
    number = (Case.objects.filter(district=district).aggregate(n=Max("number"))["n"] or 0) + 1
    case = Case(
        number=number,
        district=district,
        person=person,
        unit=person.unit,
        classification=classification,
        found_by=found_by,
        found_in=found_in_for(person, first_positive_at),
        onset_date=onset_date,
        first_positive_at=first_positive_at,
        confirmed_at=confirmed_at,
        reported_at=now,
        opened_from=opened_from,
        opened_by=actor,
    )
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        raise ValidationError("该人员已有未结案的病例（刚由他人建立），请刷新后查看") from None
    _record_created(actor, case, case.unit, Case.AUDIT_FIELDS, "建立病例")
    return case


def _update(actor: User, case: Case, changes: dict, reason: str) -> Case:
    before = snapshot(case, Case.AUDIT_FIELDS)
    for name, value in changes.items():
        setattr(case, name, value)
    case.save(update_fields=list(changes))
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=case,
        unit=case.unit,
        before=before,
        after=snapshot(case, Case.AUDIT_FIELDS),
        reason=reason,
    )
    return case


def _open(case: Case) -> None:
    if case.status == CaseStatus.CLOSED:
        raise ValidationError(f"{case}已结案，不能再修改")


def join_investigation(*, actor: User, case: Case) -> Case:
    """The investigator takes part in the case's investigation (流调人员), on the record."""
    require_actor(actor)
    require_row(actor, Capability.CASES_INVESTIGATE, case)
    _open(case)
    if case.investigators.filter(pk=actor.pk).exists():
        raise ValidationError("您已是该病例的流调人员")
    case.investigators.add(actor)
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=case,
        unit=case.unit,
        before={},
        after={"investigator": actor.username},
        reason="加入流调",
    )
    return case


def set_policy(*, actor: User, district: Unit, **hours: int) -> CasePolicy:
    """The district's timeliness targets and contact deadlines (hours, each at least 1)."""
    require_actor(actor)
    require(actor, Capability.PROTOCOLS_MANAGE, district)
    if any(value < 1 or value > 240 for value in hours.values()):
        raise ValidationError("时限应在 1 至 240 小时之间")
    policy = policy_for(district)
    before = {name: getattr(policy, name) for name in hours}
    for name, value in hours.items():
        setattr(policy, name, value)
    policy.changed_by, policy.changed_at = actor, timezone.now()
    policy.save()
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=policy,
        unit=district,
        before=before,
        after=dict(hours),
        reason="流调时限设置",
    )
    return policy


def reclassify(*, actor: User, case: Case, to_class: str, note: str = "") -> Case:
    require_actor(actor)
    require_row(actor, Capability.CASES_INVESTIGATE, case)
    _open(case)
    if to_class not in CaseClass.values:
        raise ValidationError("请选择病例分类")
    if to_class == case.classification:
        raise ValidationError(f"{case}已是{case.get_classification_display()}")
    Reclassification.objects.create(
        case=case, from_class=case.classification, to_class=to_class, by=actor, note=note.strip()[:200]
    )
    return _update(actor, case, {"classification": to_class}, f"订正分类：{CaseClass(to_class).label}")


def mark_done(*, actor: User, case: Case, step: str, now: datetime.datetime | None = None) -> Case:
    """核心信息 (core), 流调报告 (report: the case's status becomes 报告完成) or 结案 (close)."""
    require_actor(actor)
    require_row(actor, Capability.CASES_INVESTIGATE, case)
    _open(case)
    now = now or timezone.now()
    if step == "core":
        if case.core_done_at:
            raise ValidationError("核心信息已标记完成")
        return _update(actor, case, {"core_done_at": now}, "核心信息完成")
    if step == "report":
        if case.report_done_at:
            raise ValidationError("流调报告已标记完成")
        changes = {"report_done_at": now, "status": CaseStatus.REPORTED}
        if not case.core_done_at:
            changes["core_done_at"] = now
        return _update(actor, case, changes, "流调报告完成")
    if step == "close":
        if not case.report_done_at:
            raise ValidationError("流调报告完成后才能结案")
        return _update(actor, case, {"status": CaseStatus.CLOSED, "closed_at": now}, "结案")
    raise ValidationError("未知的操作")


def set_source(*, actor: User, case: Case, source: Case | None) -> Case:
    """Who infected the case. A source that would close a loop (the case, or a case it infected, directly or
    further down) is refused."""
    require_actor(actor)
    require_row(actor, Capability.CASES_INVESTIGATE, case)
    _open(case)
    seen = set()
    walker = source
    while walker is not None:
        if walker.pk == case.pk:
            raise ValidationError(f"{source}的传染来源链上已有{case}，不能互为来源")
        if walker.pk in seen:
            break
        seen.add(walker.pk)
        walker = walker.source_case
    return _update(actor, case, {"source_case": source}, "传染来源")


# The itinerary.


def _check_entry(case: Case, start: datetime.datetime, end: datetime.datetime) -> None:
    if end < start:
        raise ValidationError({"end": "结束时间早于开始时间"})
    since, until = window(case)
    if end < since or start > until + datetime.timedelta(days=1):
        raise ValidationError(
            {
                "start": f"不在追溯时段内（{timezone.localtime(since):%m-%d %H:%M} 至 "
                f"{timezone.localtime(until):%m-%d %H:%M}）"
            }
        )


def add_entry(*, actor: User, case: Case, **fields) -> ItineraryEntry:
    require_actor(actor)
    require_row(actor, Capability.CASES_INVESTIGATE, case)
    _open(case)
    _check_entry(case, fields["start"], fields["end"])
    if not (fields.get("place") or "").strip() and fields.get("venue") is None:
        raise ValidationError({"place": "请填写地点"})
    if not (fields.get("place") or "").strip():
        fields["place"] = fields["venue"].name
    entry = ItineraryEntry(case=case, created_by=actor, **fields)
    entry.save()
    _record_created(actor, entry, case.unit, ItineraryEntry.AUDIT_FIELDS, f"{case}活动轨迹")
    return entry


def change_entry(*, actor: User, entry: ItineraryEntry, **fields) -> ItineraryEntry:
    require_actor(actor)
    case = entry.case
    require_row(actor, Capability.CASES_INVESTIGATE, case)
    _open(case)
    _check_entry(case, fields.get("start", entry.start), fields.get("end", entry.end))
    before = snapshot(entry, ItineraryEntry.AUDIT_FIELDS)
    for name, value in fields.items():
        setattr(entry, name, value)
    entry.save()
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=entry,
        unit=case.unit,
        before=before,
        after=snapshot(entry, ItineraryEntry.AUDIT_FIELDS),
        reason=f"{case}活动轨迹",
    )
    return entry


def remove_entry(*, actor: User, entry: ItineraryEntry) -> None:
    require_actor(actor)
    case = entry.case
    require_row(actor, Capability.CASES_INVESTIGATE, case)
    _open(case)
    record_change(
        actor=actor,
        kind=ChangeKind.DELETE,
        instance=entry,
        unit=case.unit,
        before=snapshot(entry, ItineraryEntry.AUDIT_FIELDS),
        reason=f"{case}活动轨迹：删除",
    )
    entry.delete()


def prefill_itinerary(*, actor: User, case: Case) -> int:
    """The person's stays at venues (from their scans) and sampling visits in the window, as entries; entries
    already prefilled (or deleted after prefilling: the record says so) are not added again. Returns how many
    were added."""
    from fangxian.testing.models import Sample
    from fangxian.venues.services import covisit

    require_actor(actor)
    require_row(actor, Capability.CASES_INVESTIGATE, case)
    _open(case)
    since, until = window(case)
    doc = case.person.doc_number
    wanted: list[ItineraryEntry] = []
    tracing = covisit.trace(cases=[doc], since=since, until=until, with_names=False)
    for stay in tracing.stays:
        key = f"scan:{stay.place.key}:{stay.start.isoformat()}"
        wanted.append(
            ItineraryEntry(
                case=case,
                start=stay.start,
                end=stay.end,
                venue_id=stay.place.venue_id,
                place=stay.place.name[:100],
                address=stay.area[:200],
                source=EntrySource.SCAN,
                source_key=key[:120],
                created_by=actor,
            )
        )
    days = [timezone.localdate(since) + datetime.timedelta(days=n) for n in range((until - since).days + 2)]
    samples = (
        Sample.objects.filter(doc_number=doc, day__in=days)
        .select_related("tube__point")
        .only("tube__sampled_at", "tube__point__name", "tube__point__address", "tube__code")
    )
    for sample in samples:
        tube = sample.tube
        if not since <= tube.sampled_at <= until:
            continue
        wanted.append(
            ItineraryEntry(
                case=case,
                start=tube.sampled_at,
                end=tube.sampled_at + SAMPLING_VISIT,
                place=f"核酸采样：{tube.point.name}"[:100],
                address=tube.point.address[:200],
                source=EntrySource.SAMPLING,
                source_key=f"sample:{tube.code}:{tube.sampled_at.isoformat()}"[:120],
                created_by=actor,
            )
        )
    known = set(case.itinerary.exclude(source_key="").values_list("source_key", flat=True))
    new = [entry for entry in wanted if entry.source_key not in known]
    for entry in new:
        entry.save()
        _record_created(
            actor, entry, case.unit, ItineraryEntry.AUDIT_FIELDS, f"{case}活动轨迹：由{entry.get_source_display()}生成"
        )
    return len(new)


def public_notice(case: Case) -> str:
    """A draft of the itinerary for the public (活动轨迹公布): the person removed, the address only to the
    community; for the district to edit and issue."""
    person = case.person
    lines = [
        f"{case}，{person.get_sex_display() if person.sex else ''}，现住{case.unit.name}。"
        f"{timezone.localtime(case.first_positive_at):%m月%d日}核酸检测结果异常，"
        f"{'经复核判定为' + case.get_classification_display() if case.confirmed_at else '正在复核'}。",
        "其活动轨迹如下：",
    ]
    for entry in case.itinerary.all():
        start, end = timezone.localtime(entry.start), timezone.localtime(entry.end)
        how = f"（{entry.get_transport_display()}{entry.transport_detail}）" if entry.transport else ""
        lines.append(f"{start:%m月%d日 %H:%M}—{end:%H:%M}，{entry.place}{how}。")
    lines.append("凡与上述轨迹有时空交集的人员，请立即向所在社区报告，配合落实各项防控措施。")
    return "\n".join(lines)


# Contacts.


def add_contact(
    *,
    actor: User,
    case: Case,
    doc_type: str,
    doc_number: str,
    name: str,
    relation: str,
    classification: str,
    exposed_at: datetime.datetime,
    phone: str = "",
    address: str = "",
    home_region: str = "",
    via: Contact | None = None,
    note: str = "",
    now: datetime.datetime | None = None,
) -> Contact:
    require_actor(actor)
    require_row(actor, Capability.CASES_INVESTIGATE, case)
    _open(case)
    now = now or timezone.now()
    try:
        document = parse_document(doc_type, doc_number)
    except DocumentError as error:
        raise ValidationError({"doc_number": str(error)}) from None
    if document.number == case.person.doc_number:
        raise ValidationError({"doc_number": "密接人员不能是病例本人"})
    if relation not in Relation.values or classification not in ContactClass.values:
        raise ValidationError("请选择接触方式和判定")
    if exposed_at > now + datetime.timedelta(minutes=5):
        raise ValidationError({"exposed_at": "末次暴露时间不能晚于现在"})
    since, _until = window(case)
    if exposed_at < since - ONSET_BEFORE_SAMPLING:
        raise ValidationError({"exposed_at": "末次暴露时间远早于病例的追溯时段，请核对"})
    existing = case.contacts.filter(doc_number=document.number).first()
    if existing is not None:
        raise ValidationError({"doc_number": f"该人员已是{case}的{existing.get_classification_display()}"})
    person = Person.objects.filter(doc_type=document.doc_type, doc_number=document.number).first()
    contact = Contact(
        case=case,
        person=person,
        doc_type=document.doc_type,
        doc_number=document.number,
        name=(name.strip() or (person.name if person else ""))[:50],
        phone=(phone.strip() or (person.phone if person else ""))[:20],
        address=(address.strip() or (person.address if person else ""))[:200],
        relation=relation,
        classification=classification,
        exposed_at=exposed_at,
        via=via,
        home_region=home_region.strip()[:60],
        note=note.strip()[:200],
        created_by=actor,
    )
    if not contact.name:
        raise ValidationError({"name": "登记簿中没有该人员，请填写姓名"})
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError:  # added by someone else a moment ago
        raise ValidationError({"doc_number": f"该人员刚被他人登记为{case}的接触人员"}) from None
    _record_created(actor, contact, case.unit, Contact.AUDIT_FIELDS, f"{case}密接人员")
    return contact


def household_secondaries(*, actor: User, contact: Contact, now: datetime.datetime | None = None) -> int:
    """A close contact's household (the registry's people at the same address in the same community) become
    secondary contacts of the case, via that close contact. Returns how many were added."""
    if contact.classification != ContactClass.CLOSE:
        raise ValidationError("只有密切接触者的同住人员判为次密切接触者")
    if contact.person is None or not contact.person.address:
        raise ValidationError(f"{contact.name}未在人员登记中登记住址，请先登记或逐个添加同住人员")
    now = now or timezone.now()
    case = contact.case
    taken = set(case.contacts.values_list("doc_number", flat=True)) | {case.person.doc_number}
    household = Person.objects.filter(unit=contact.person.unit, address=contact.person.address).exclude(
        doc_number__in=taken
    )
    added = 0
    for person in household:
        add_contact(
            actor=actor,
            case=case,
            doc_type=person.doc_type,
            doc_number=person.doc_number,
            name=person.name,
            relation=Relation.HOUSEHOLD,
            classification=ContactClass.SECONDARY,
            exposed_at=now,  # living together: exposed until placed under control
            via=contact,
            note=f"{contact.name}的同住人员",
            now=now,
        )
        added += 1
    return added


def contacts_from_covisit(*, actor: User, case: Case, now: datetime.datetime | None = None) -> int:
    """The case's co-visitors (venues' co-visit query over the window) as contacts: a close contact where the
    overlap reached the category's threshold, else a general contact. Written together (a busy venue brings
    hundreds), each with its change record. Returns how many were added."""
    from fangxian.venues.services import covisit

    require_actor(actor)
    require_row(actor, Capability.CASES_INVESTIGATE, case)
    _open(case)
    now = now or timezone.now()
    since, until = window(case)
    tracing = covisit.trace(cases=[case.person.doc_number], since=since, until=until)
    taken = set(case.contacts.values_list("doc_number", flat=True)) | {case.person.doc_number}
    visitors = [visitor for visitor in tracing.covisitors if visitor.doc_number not in taken]
    if not visitors:
        return 0
    known = {
        person.doc_number: person
        for person in Person.objects.filter(doc_number__in=[visitor.doc_number for visitor in visitors])
    }
    contacts = []
    for visitor in visitors:
        last = max(visitor.encounters, key=lambda item: item.end)
        person = known.get(visitor.doc_number)
        contacts.append(
            Contact(
                case=case,
                person=person,
                doc_type=visitor.doc_type or (person.doc_type if person else "resident_id"),
                doc_number=visitor.doc_number,
                name=(visitor.name or (person.name if person else "") or "（扫码未留姓名）")[:50],
                phone=(visitor.phone or (person.phone if person else ""))[:20],
                address=person.address if person else "",
                relation=Relation.COVISIT,
                classification=ContactClass.CLOSE if visitor.close_contact else ContactClass.GENERAL,
                # The shared stay's end, never later than now (a stay still running ends, as far as anyone knows,
                # now).
                exposed_at=min(last.end, last.case_end + last.place.margin, now),
                note=f"{last.place.name} 重叠{visitor.overlap_minutes}分钟"[:200],
                created_by=actor,
                created_at=now,
            )
        )
    Contact.objects.bulk_create(contacts, batch_size=2000)
    if any(contact.pk is None for contact in contacts):  # a backend that does not return ids
        by_doc = dict(
            case.contacts.filter(doc_number__in=[c.doc_number for c in contacts]).values_list("doc_number", "pk")
        )
        for contact in contacts:
            contact.pk = by_doc[contact.doc_number]
    record_changes_bulk(
        actor=actor,
        kind=ChangeKind.CREATE,
        items=[(contact, case.unit, None, snapshot(contact, Contact.AUDIT_FIELDS)) for contact in contacts],
        reason=f"{case}密接人员：时空伴随",
    )
    return len(contacts)


@dataclass
class Pushed:
    leads: int = 0  # new leads
    linked: int = 0  # the person already had an open lead of that kind: linked, not duplicated
    outbound: int = 0  # living in another district: listed for the 协查函


def push_contacts(*, actor: User, case: Case, now: datetime.datetime | None = None) -> Pushed:
    """Close and secondary contacts of the case not pushed yet become leads (source 病例流调) routed to their own
    unit, with the district's deadlines counted from now and their exposure kept as the anchor of their measure;
    a person with an open lead of that kind keeps it (never twice); unknown people are registered in the case's
    community; a contact living in another district is counted for the outbound 协查函 instead."""
    require_actor(actor)
    require_row(actor, Capability.CASES_INVESTIGATE, case)
    _open(case)
    return _push(actor=actor, district=case.district, contacts=case.contacts.all(), now=now)


def push_all_contacts(*, actor: User, district: Unit, now: datetime.datetime | None = None) -> Pushed:
    """Every open case's contacts not pushed yet, in the district's cases the actor investigates, pushed at once
    (the command office's 一键推送 after a night of investigations): the same rules as one case's push, in one pass."""
    require_actor(actor)
    require(actor, Capability.CASES_INVESTIGATE, district)
    cases = (
        Case.objects.restrict(actor, Capability.CASES_INVESTIGATE)
        .filter(district=district)
        .exclude(status=CaseStatus.CLOSED)
    )
    return _push(actor=actor, district=district, contacts=Contact.objects.filter(case__in=cases), now=now)


def _push(*, actor: User, district: Unit, contacts, now: datetime.datetime | None) -> Pushed:
    from fangxian.leads.choices import LeadCategory, LeadSource, LeadStatus
    from fangxian.leads.models import Lead
    from fangxian.leads.services import NewLead, create_leads
    from fangxian.people.services import PersonRow, bulk_register_persons

    require(actor, Capability.LEADS_IMPORT, district)
    now = now or timezone.now()
    policy = policy_for(district)
    hours: dict[str, int] = {
        ContactClass.CLOSE: policy.close_contact_hours,
        ContactClass.SECONDARY: policy.secondary_contact_hours,
    }
    categories: dict[str, str] = {
        ContactClass.CLOSE: LeadCategory.CLOSE_CONTACT,
        ContactClass.SECONDARY: LeadCategory.SECONDARY_CONTACT,
    }
    outcome = Pushed()
    # Locked: two pushes at once never give one contact two leads.
    waiting = list(
        contacts.select_for_update(of=("self",))
        .filter(classification__in=list(hours), lead__isnull=True)
        .select_related("person", "case__unit")
        .order_by("id")
    )
    local = [contact for contact in waiting if not contact.home_region]
    outcome.outbound = len(waiting) - len(local)
    unknown = [contact for contact in local if contact.person is None]
    known_now = {
        person.doc_number: person
        for person in Person.objects.filter(doc_number__in=[contact.doc_number for contact in unknown])
    }
    rows, planned = [], set()
    for contact in unknown:
        if contact.doc_number in known_now or contact.doc_number in planned:
            continue
        try:
            document = parse_document(contact.doc_type, contact.doc_number)
        except DocumentError:
            continue  # checked when recorded; a rule changed since is left for a person to look at
        planned.add(contact.doc_number)
        rows.append(
            PersonRow(
                unit=contact.case.unit,
                name=contact.name,
                document=document,
                phone=contact.phone,
                address=contact.address,
            )
        )
    if rows:
        bulk_register_persons(actor=actor, rows=rows, reason="流调密接人员登记")
        known_now.update(
            {
                person.doc_number: person
                for person in Person.objects.filter(doc_number__in=[r.document.number for r in rows])
            }
        )
    unknown = [contact for contact in unknown if contact.doc_number in known_now]
    local = [contact for contact in local if contact.person is not None or contact.doc_number in known_now]
    for contact in unknown:
        contact.person = known_now[contact.doc_number]
    Contact.objects.bulk_update(unknown, ["person"], batch_size=1000)
    by_kind: dict[str, list[tuple[Contact, Person]]] = {}
    for contact in local:
        person = contact.person or known_now[contact.doc_number]
        by_kind.setdefault(contact.classification, []).append((contact, person))
    links: list[tuple[int, int]] = []
    relations = {value: str(label) for value, label in Relation.choices}  # once: a lazy label per lead costs
    for kind, pairs in by_kind.items():
        category = categories[kind]
        people = list({person.pk for _contact, person in pairs})
        open_leads = _open_leads(Lead, LeadStatus.OPEN, category, people)
        wanted, seen = [], set()
        for contact, person in pairs:
            if person.pk in open_leads or person.pk in seen:
                continue
            seen.add(person.pk)
            wanted.append(
                NewLead(
                    person_id=person.pk,
                    person_name=contact.name,
                    category=category,
                    unit_id=person.unit_id,
                    pushed_data={
                        "病例": str(contact.case),
                        "接触方式": relations[contact.relation],
                        "备注": contact.note,
                    },
                    exposed_at=contact.exposed_at,
                    deadline=now + datetime.timedelta(hours=hours[kind]),
                )
            )
        if wanted:
            outcome.leads += create_leads(
                actor=actor, leads=wanted, source=LeadSource.CASE_TRACING, received_at=now, reason="流调密接推送"
            )
        made = _open_leads(Lead, LeadStatus.OPEN, category, people)
        for contact, person in pairs:
            lead_id = made.get(person.pk)
            if lead_id is not None:
                contact.lead_id = lead_id
                links.append((contact.pk, lead_id))
                if person.pk in open_leads:
                    outcome.linked += 1
    _link(links)
    return outcome


def _open_leads(lead_model, status: str, category: str, people: list[int]) -> dict[int, int]:
    """person id → their open lead of `category`, for many people (in chunks: an IN list has its limits)."""
    found: dict[int, int] = {}
    for start in range(0, len(people), 5000):
        found.update(
            lead_model.objects.filter(
                status=status, category=category, person_id__in=people[start : start + 5000]
            ).values_list("person_id", "pk")
        )
    return found


def _link(links: list[tuple[int, int]]) -> None:
    """Each contact linked to its lead: on PostgreSQL one statement over two arrays, elsewhere by rows."""
    if not links:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Contact._meta.db_table} c SET lead_id = v.lead FROM unnest(%s::bigint[], %s::bigint[]) "
                "AS v(contact, lead) WHERE c.id = v.contact",
                [[contact for contact, _lead in links], [lead for _contact, lead in links]],
            )
        return
    Contact.objects.bulk_update(
        [Contact(pk=contact, lead_id=lead) for contact, lead in links], ["lead"], batch_size=1000
    )


def record_outbound(*, actor: User, contact: Contact, step: str, now: datetime.datetime | None = None) -> Contact:
    """The 协查函 sent to the contact's district, or its answer received."""
    require_actor(actor)
    require_row(actor, Capability.CASES_INVESTIGATE, contact.case)
    _open(contact.case)
    if not contact.home_region:
        raise ValidationError(f"{contact.name}住在本区，不需要发协查函")
    now = now or timezone.now()
    before = snapshot(contact, Contact.AUDIT_FIELDS)
    if step == "sent":
        if contact.outbound_sent_at:
            raise ValidationError("协查函已登记发出")
        contact.outbound_sent_at = now
    elif step == "answered":
        if not contact.outbound_sent_at:
            raise ValidationError("协查函尚未发出")
        if contact.outbound_answered_at:
            raise ValidationError("已登记反馈")
        contact.outbound_answered_at = now
    else:
        raise ValidationError("未知的操作")
    contact.save(update_fields=["outbound_sent_at", "outbound_answered_at"])
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=contact,
        unit=contact.case.unit,
        before=before,
        after=snapshot(contact, Contact.AUDIT_FIELDS),
        reason="协查函" + ("发出" if step == "sent" else "反馈"),
    )
    return contact


# Opening cases from positives found elsewhere in the platform.


def open_case_from_recall(*, actor: User, recall, now: datetime.datetime | None = None) -> Case:
    """The case of a positive single-tube re-test, opened now by an investigator rather than by the worker's next
    sweep: the same case the sweep would open (its positive named, so the sweep will not open another)."""
    from fangxian.testing.choices import RecallStatus

    if recall.status != RecallStatus.POSITIVE:
        raise ValidationError("该人员单采复核尚未阳性，不能建立病例")
    existing = Case.objects.filter(opened_from=f"recall:{recall.pk}").first()
    if existing is not None:
        raise ValidationError(f"已由该复核阳性建立{existing}")
    person = _recalled_person(actor, recall)
    return open_case(
        actor=actor,
        person=person,
        classification=CaseClass.ASYMPTOMATIC,
        found_by=FoundBy.POOL_RETEST,
        # The first positive sampling is the pool's: where the person was then says 社会面 or 管控中.
        first_positive_at=min(recall.tube.sampled_at, now or timezone.now()),
        opened_from=f"recall:{recall.pk}",
        now=now,
    )


def open_cases_from_positives(*, actor: User, now: datetime.datetime | None = None) -> int:
    """A positive single-tube re-test (testing's recall) and a positive result under a measure (control) open
    the person's case, once (the positive is named in opened_from); someone with an open case keeps it. Each
    case opens in its own transaction: one refusal does not hold back the others."""
    from fangxian.control.choices import EndReason
    from fangxian.control.models import Measure
    from fangxian.testing.choices import RecallStatus
    from fangxian.testing.models import Recall

    now = now or timezone.now()
    opened = set(Case.objects.exclude(opened_from="").values_list("opened_from", flat=True))
    found: list[tuple[str, Recall | Measure]] = [
        (f"recall:{recall.pk}", recall)
        for recall in Recall.objects.filter(status=RecallStatus.POSITIVE).select_related("person__unit", "tube")
    ]
    found += [
        (f"measure:{measure.pk}", measure)
        for measure in Measure.objects.filter(end_reason=EndReason.POSITIVE).select_related("person__unit")
    ]
    count = 0
    for key, source in found:
        if key in opened:
            continue
        try:
            count += _open_one(actor, source, key, now)
        except (ValidationError, PermissionDenied) as error:  # one refusal does not hold back the others
            logger.warning("case not opened from %s: %s", key, error)
    return count


def _open_one(actor: User, source, key: str, now: datetime.datetime) -> int:
    """The case of one positive (a recall or a measure), in its own transaction; 0 when the person's open case
    already stands for this episode."""
    from fangxian.testing.models import Recall

    with transaction.atomic():
        if isinstance(source, Recall):
            person = _recalled_person(actor, source)
            # The first positive sampling is the pool's: where the person was then says 社会面 or 管控中.
            found_by, sampled = FoundBy.POOL_RETEST, source.tube.sampled_at
        else:
            person, found_by, sampled = source.person, FoundBy.UNDER_MEASURE, source.ended_at or now
        if Case.objects.filter(person=person).exclude(status=CaseStatus.CLOSED).exists():
            return 0  # the same episode: the open case stands
        open_case(
            actor=actor,
            person=person,
            classification=CaseClass.ASYMPTOMATIC,
            found_by=found_by,
            first_positive_at=min(sampled, now),
            opened_from=key,
            now=now,
        )
    return 1


def _recalled_person(actor: User, recall) -> Person:
    """The recalled person, registered where the recall was sent when they were sampled but never registered."""
    from fangxian.people.services import register_person

    person = recall.person or Person.objects.filter(doc_number=recall.doc_number).select_related("unit").first()
    if person is not None:
        return person
    return register_person(
        actor=actor,
        unit=recall.unit,
        name=recall.name,
        doc_type=recall.doc_type,
        doc_number=recall.doc_number,
        phone=recall.phone,
        reason="单采复核阳性，建立病例",
    )


# From the case to the area.

WORKPLACE_CATEGORIES = {"office", "construction", "school", "factory"}
LONG_STAY = datetime.timedelta(hours=3)


@dataclass(frozen=True)
class AreaProposal:
    key: str  # "home" or "venue:<id>": what the confirmation names
    kind: str
    name: str
    level: str
    unit: Unit
    residents: int  # the registry's people living there (the same address at home; the venue's community)


def proposed_areas(case: Case) -> list[AreaProposal]:
    """The areas a case's home and workplaces call for: the home building (high risk) and the places the case
    worked or studied, or stayed long, in the window (medium), each with how many registered people live there,
    for the district to confirm. The sealed and controlled areas of a later issue will take these over."""
    from fangxian.leads.choices import RiskLevel

    person = case.person
    proposals = []
    if person.address:
        residents = Person.objects.filter(unit=person.unit, address=person.address).count()
        # Named by its community (a risk area's region is a division code: villages and communities have one).
        community = person.unit.parent if person.unit.level == "grid" and person.unit.parent else person.unit
        proposals.append(AreaProposal("home", "居住地", person.address, RiskLevel.HIGH, community, residents))
    seen = set()
    for entry in case.itinerary.filter(venue__isnull=False).select_related("venue__category", "venue__unit"):
        venue = entry.venue
        long = entry.end - entry.start >= LONG_STAY
        if venue is None or venue.pk in seen or not (venue.category.code in WORKPLACE_CATEGORIES or long):
            continue
        seen.add(venue.pk)
        residents = Person.objects.filter(unit__path__startswith=venue.unit.path).count()
        proposals.append(
            AreaProposal(
                f"venue:{venue.pk}",
                "工作/学习场所" if venue.category.code in WORKPLACE_CATEGORIES else "长时间停留场所",
                f"{venue.name}（{venue.address}）",
                RiskLevel.MEDIUM,
                venue.unit,
                residents,
            )
        )
    return proposals


def declare_area(*, actor: User, case: Case, key: str, now: datetime.datetime | None = None):
    """The proposal `key` declared a risk area of the case's district (the district confirms: risk areas are its
    decision)."""
    from fangxian.leads.models import RiskArea
    from fangxian.leads.services import create_risk_area

    require_actor(actor)
    require_row(actor, Capability.CASES_VIEW, case)
    proposal = next((item for item in proposed_areas(case) if item.key == key), None)
    if proposal is None:
        raise ValidationError("没有这个拟划定区域")
    name = f"{proposal.name}（{case}{proposal.kind}）"[:200]
    Unit.objects.select_for_update().filter(pk=case.district_id).first()  # two confirmations at once: one area
    if RiskArea.objects.filter(district=case.district, name=name, lifted_at__isnull=True).exists():
        raise ValidationError(f"{name}已划定为风险区")
    return create_risk_area(
        actor=actor,
        district=case.district,
        name=name,
        level=proposal.level,
        declared_at=now or timezone.now(),
        region_code=proposal.unit.code,
    )
