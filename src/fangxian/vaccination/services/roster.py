"""Who is to be vaccinated, and the mobilisation work (逐人动员、逐人销号). The roster is derived, never kept: the
people of a unit in an age band who have no dose yet, or whose next dose is due, and who are not excluded (a
contraindication, a refusal, unreachable, a deferral still running). So a person leaves it only by a dose or by a
recorded reason — there is no other way to strike a name off."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from fangxian.core.audit import record_change, require_actor, snapshot
from fangxian.core.capabilities import Capability
from fangxian.core.choices import ChangeKind
from fangxian.core.models import TeamMember, User
from fangxian.core.scoping import require
from fangxian.people.models import Person
from fangxian.vaccination import bands as band_rules
from fangxian.vaccination.choices import OUTCOME_STANDING, Channel, Outcome, Standing
from fangxian.vaccination.models import Assignment, Attempt, Eligibility

NOT_STARTED = "not_started"
DUE = "due"


def youngest_birth_date(day: datetime.date) -> datetime.date:
    return band_rules.born_by(day, band_rules.configured()[0].low)


def roster(persons: QuerySet, *, day: datetime.date, reason: str = "") -> QuerySet:
    """The persons of `persons` (already restricted and narrowed to a unit) who are on the roster at `day`:
    old enough, not excluded, and with no dose (reason "not_started") or a dose due ("due")."""
    # No birth date (a passport, a permit): the age is unknown, so they stay on the roster until a dose or a reason.
    old_enough = Q(birth_date__lte=youngest_birth_date(day)) | Q(birth_date__isnull=True)
    not_started = Q(vaccination__isnull=True) | Q(vaccination__first_on__gt=day)
    due = Q(vaccination__next_due_on__lte=day)
    wanted = {NOT_STARTED: not_started, DUE: due}.get(reason, not_started | due)
    # Eligibility rows exist only for those not plainly eligible: no row, or a deferral whose review day has come.
    to_vaccinate = Q(eligibility__isnull=True) | Q(
        eligibility__standing=Standing.DEFERRED, eligibility__review_on__lte=day
    )
    return persons.filter(old_enough, wanted, to_vaccinate)


def set_standing(
    *,
    actor: User,
    person: Person,
    standing: str,
    reason: str = "",
    review_on: datetime.date | None = None,
    today: datetime.date | None = None,
) -> Eligibility | None:
    """Record why a person is, or is not, to be vaccinated. A refusal and a contraindication need a reason, a
    deferral its review date (in the future). Eligible removes the record."""
    require_actor(actor)
    require(actor, Capability.MOBILISE, person.unit)
    today = today or timezone.localdate()
    if standing not in Standing.values:
        raise ValidationError({"standing": "请选择接种对象状态"})
    reason = reason.strip()
    if standing in (Standing.REFUSED, Standing.CONTRAINDICATED) and not reason:
        raise ValidationError({"reason": "拒绝接种或禁忌须写明原因"})
    if standing == Standing.DEFERRED:
        if review_on is None:
            raise ValidationError({"review_on": "暂缓接种须填写复核日期"})
        if review_on <= today:
            raise ValidationError({"review_on": "暂缓的复核日期须晚于今天"})
        if review_on > today + datetime.timedelta(days=366):
            raise ValidationError({"review_on": "暂缓最长一年，到期再复核"})
    else:
        review_on = None
    with transaction.atomic():
        current = Eligibility.objects.select_for_update().filter(person=person).first()
        before = snapshot(current, Eligibility.AUDIT_FIELDS) if current else None
        if standing == Standing.ELIGIBLE:
            if current is None:
                return None
            record_change(
                actor=actor, kind=ChangeKind.DELETE, instance=current, unit=person.unit, before=before, reason=reason
            )
            current.delete()
            return None
        record = current or Eligibility(person=person)
        record.standing, record.reason, record.review_on = standing, reason[:200], review_on
        record.set_by, record.set_at = actor, timezone.now()
        record.save()
        record_change(
            actor=actor,
            kind=ChangeKind.UPDATE if current else ChangeKind.CREATE,
            instance=record,
            unit=person.unit,
            before=before,
            after=snapshot(record, Eligibility.AUDIT_FIELDS),
        )
    return record


def record_attempt(
    *,
    actor: User,
    person: Person,
    channel: str,
    outcome: str,
    reason: str = "",
    until: datetime.date | None = None,
    today: datetime.date | None = None,
) -> Attempt:
    """Log one mobilisation contact. An outcome that is a reason (refused, deferred, contraindication, unreachable)
    records the person's standing too, so they leave the roster; booked keeps them on it until the dose arrives."""
    require_actor(actor)
    require(actor, Capability.MOBILISE, person.unit)
    today = today or timezone.localdate()
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "请选择联系结果"})
    if channel not in Channel.values:
        raise ValidationError({"channel": "请选择联系方式"})
    if outcome == Outcome.BOOKED and (until is None or until < today):
        raise ValidationError({"until": "已预约须填写预约接种日期（今天或以后）"})
    with transaction.atomic():
        attempt = Attempt.objects.create(
            person=person, channel=channel, outcome=outcome, reason=reason.strip()[:200], until=until, by=actor
        )
        record_change(
            actor=actor,
            kind=ChangeKind.CREATE,
            instance=attempt,
            unit=person.unit,
            after=snapshot(attempt, Attempt.AUDIT_FIELDS),
        )
        standing = OUTCOME_STANDING.get(outcome)
        if standing is not None:
            set_standing(actor=actor, person=person, standing=standing, reason=reason, review_on=until, today=today)
    return attempt


def assign(*, actor: User, persons: list[Person], member: TeamMember) -> int:
    """Give these persons to one member of the team that serves their community (逐人包保)."""
    require_actor(actor)
    team_unit = member.team.unit
    require(actor, Capability.MOBILISE, team_unit)
    with transaction.atomic():
        for person in persons:
            require(actor, Capability.MOBILISE, person.unit)
            if not person.unit.path.startswith(team_unit.path) and not team_unit.path.startswith(person.unit.path):
                raise ValidationError(f"{member.name}所在小组不负责{person.name}所在的{person.unit.name}")
            current = Assignment.objects.select_for_update().filter(person=person).first()
            before = snapshot(current, Assignment.AUDIT_FIELDS) if current else None
            if current and current.member_id == member.pk:
                continue
            record = current or Assignment(person=person)
            record.member, record.assigned_by, record.assigned_at = member, actor, timezone.now()
            record.save()
            record_change(
                actor=actor,
                kind=ChangeKind.UPDATE if current else ChangeKind.CREATE,
                instance=record,
                unit=person.unit,
                before=before,
                after=snapshot(record, Assignment.AUDIT_FIELDS),
            )
    return len(persons)
