from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.generic import View

from fangxian.core.audit import record_access
from fangxian.core.capabilities import Capability
from fangxian.core.choices import AccessKind, Action
from fangxian.core.exporting import ExportMixin
from fangxian.core.models import AccessRecord, ChangeRecord
from fangxian.core.registry import person_file
from fangxian.core.scoping import user_can
from fangxian.core.views import (
    CapabilityRequiredMixin,
    ObjectActionView,
    ScopedDetailView,
    ScopedListView,
    ScopedObjectMixin,
    ServiceFormView,
    valid_form,
)
from fangxian.people import services
from fangxian.people.filtersets import PersonFilterSet
from fangxian.people.forms import DeleteForm, PersonForm
from fangxian.people.models import Person
from fangxian.people.tables import person_columns

EXPORT_LIMIT = 200_000


class PersonListView(ScopedListView):
    model = Person
    filterset_class = PersonFilterSet
    template_name = "people/person_list.html"
    audited_model = "people.person"
    table_empty = _lazy("没有符合条件的人员。可调整筛选条件，或点击“登记人员”。")
    table_testid = "person-table"

    def list_columns(self):
        return person_columns(full=False)

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset.select_related("unit__parent"))


class PersonExportView(ExportMixin, ScopedListView):
    """The filtered list as xlsx. Masked by default; ?full=1 gives full numbers to users who may reveal them
    (their reveal scope, not their view scope). Large lists are written by a background job."""

    model = Person
    action = Action.EXPORT
    filterset_class = PersonFilterSet
    export_key, export_title, export_model = "persons", "人员名单", "people.person"
    export_always = True

    def full(self) -> bool:
        return self.params.get("full") == "1"

    def export_rows(self):
        queryset = self.get_queryset().select_related("unit__parent")
        if self.full():
            queryset = queryset & Person.objects.restrict(self.user, Action.REVEAL)
        return queryset.order_by("unit__path", "name", "id")

    def export_columns(self):
        return person_columns(full=self.full())

    def export_detail(self) -> dict:
        return {"full": self.full()}


class PersonDetailView(ScopedDetailView):
    model = Person
    slug_field = slug_url_kwarg = "uuid"
    template_name = "people/person_detail.html"
    context_object_name = "person"

    def get_object(self, queryset=None):
        person = super().get_object(queryset)
        record_access(actor=self.request.user, kind=AccessKind.DETAIL, unit=person.unit, instance=person)
        return person

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        object_id = str(self.object.uuid)
        user = self.request.user
        context["changes"] = (
            ChangeRecord.objects.restrict(user).filter(object_id=object_id).select_related("actor")[:50]
        )
        context["accesses"] = (
            AccessRecord.objects.restrict(user).filter(object_id=object_id).select_related("actor")[:20]
        )
        context["can_reveal"] = user_can(user, Action.REVEAL, self.object.unit, model=Person)
        context["can_change"] = user_can(user, Action.CHANGE, self.object.unit, model=Person)
        context["can_delete"] = user_can(user, Action.DELETE, self.object.unit, model=Person)
        context["masks"] = Person.SENSITIVE_FIELDS
        # 一人一档: what the other apps hold on this person, each section as this user may see it.
        context["file"] = person_file(self.object, user)
        return context


class PersonRevealView(ScopedObjectMixin, View):
    """Shows one full field (htmx swaps it into the page); the reveal is written to the access log."""

    model = Person
    lookup_field = lookup_url_kwarg = "uuid"
    http_method_names = ["post"]

    def post(self, request, uuid, field):
        person = self.get_object()
        try:
            value = services.reveal(actor=request.user, person=person, field=field)
        except ValidationError as error:
            return render(request, "people/_revealed.html", {"error": "；".join(error.messages)}, status=400)
        return render(request, "people/_revealed.html", {"value": value, "field": field})


class PersonFormMixin(LoginRequiredMixin):
    template_name = "people/person_form.html"
    form_class = PersonForm
    verify_action = Action.CHANGE


class PersonCreateView(CapabilityRequiredMixin, PersonFormMixin, ServiceFormView):
    required_capability = Capability.PERSONS_CHANGE

    def perform(self, data):
        return services.register_person(
            actor=self.request.user,
            unit=data["unit"],
            name=data["name"],
            doc_type=data["doc_type"],
            doc_number=data["doc_number"],
            phone=data["phone"],
            address=data["address"],
            category=data["category"],
            note=data["note"],
            reason=data["reason"] or "手工登记",
        )

    def succeeded(self, person):
        messages.success(self.request, _("已登记 %(name)s") % {"name": person.name})
        return HttpResponseRedirect(person.get_absolute_url())


class PersonUpdateView(PersonFormMixin, ScopedObjectMixin, ServiceFormView):
    model = Person
    action = Action.CHANGE
    lookup_field = lookup_url_kwarg = "uuid"

    @cached_property
    def person(self) -> Person:
        return self.get_object()

    def get_initial(self):
        person = self.person
        return {
            "name": person.name,
            "doc_type": person.doc_type,
            "doc_number": person.doc_number,
            "phone": person.phone,
            "address": person.address,
            "unit": person.unit,
            "category": person.category,
            "note": person.note,
        }

    def get(self, request, *args, **kwargs):
        # The form holds the full number and phone to correct them: opening it is a reveal, and recorded.
        if not user_can(request.user, Action.REVEAL, self.person.unit, model=Person):
            raise PermissionDenied(_("修改人员信息需要查看完整信息的权限"))
        record_access(
            actor=request.user,
            kind=AccessKind.REVEAL,
            unit=self.person.unit,
            instance=self.person,
            detail={"fields": ["doc_number", "phone"], "form": "edit"},
        )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(person=self.person, **kwargs)

    def perform(self, data):
        changes = dict(data)
        reason = changes.pop("reason") or "手工修改"
        services.update_person(actor=self.request.user, person=self.person, changes=changes, reason=reason)
        return self.person

    def succeeded(self, person):
        messages.success(self.request, _("已保存"))
        return HttpResponseRedirect(person.get_absolute_url())


class PersonDeleteView(ObjectActionView):
    model = Person
    action = Action.DELETE
    lookup_field = lookup_url_kwarg = "uuid"
    verify_action = None  # the person is gone

    def post(self, request, **kwargs):
        self.deleted = False
        return super().post(request, **kwargs)

    def perform(self, request, person):
        reason = valid_form(DeleteForm(request.POST), _("删除人员必须填写原因"))["reason"]
        services.delete_person(actor=request.user, person=person, reason=reason)
        self.deleted = True
        return _("已删除 %(name)s") % {"name": person.name}

    def done_url(self, person):
        return reverse("people:list") if self.deleted else person.get_absolute_url()
