"""Every list page exports what it shows as xlsx: scoped and filtered exactly as the page, formula-safe, logged.

A list view mixes in ExportMixin, names an `export_key` and gives `export_columns()`. `?export=xlsx` answers at
once for a small list; a large one becomes a background job (progress bar, file kept for its creator) that rebuilds
the same rows in the worker from the user, the page's filters, its URL arguments and the unit picked in the
navigation (core.listing.ListArgs) — with no request: a list view builds its rows from those alone.
"""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.urls import get_resolver, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fangxian.core.audit import record_access
from fangxian.core.capabilities import Capability
from fangxian.core.choices import AccessKind, Action, JobStatus
from fangxian.core.exports import Column, xlsx_response, xlsx_sheets
from fangxian.core.jobs import handler, start_job
from fangxian.core.listing import ListArgs
from fangxian.core.models import Job, access_unit
from fangxian.core.scoping import holds

EXPORT_JOB = "export"
SYNC_ROWS = 5_000  # above this the export runs in the background
MAX_ACTIVE_EXPORTS = 3  # background exports a user may have queued or running at once
MAX_ROWS = 1_000_000  # one sheet of a workbook
EXPORT_DIR_NAME = "exports"
EXPORTABLE: dict[str, type] = {}


class ExportMixin:
    """For a ScopedListView: `?export=xlsx` gives the filtered list as a workbook."""

    export_key = ""
    export_title = ""
    export_model = ""  # the model label in the access record
    export_always = False  # a view that only exports (no page of its own)
    export_within_scope = True  # False only for data that is not personal and published to all below (report forms)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.export_key:
            EXPORTABLE[cls.export_key] = cls

    def export_columns(self) -> list[Column]:
        """The list's own column spec (the page's table), unless the export needs other columns."""
        columns = self.list_columns()
        if columns is None:
            raise NotImplementedError(f"{type(self).__name__} names no columns")
        return columns

    def export_rows(self):
        return self.get_queryset()

    def export_scope(self, queryset):
        """What the page shows, narrowed to the units where the user may export (a user may see more than they may
        take away: a clerk's view of the district with an office's export right in one township)."""
        if not self.export_within_scope or self.user.is_superuser:
            return queryset
        exportable = queryset.model.objects.restrict(self.user, Action.EXPORT).values("pk")
        return queryset.filter(pk__in=exportable)

    def exported_rows(self):
        rows = self.export_rows()
        return self.export_scope(rows) if isinstance(rows, QuerySet) else rows

    def export_detail(self) -> dict:
        """What else the access record of an export must say (e.g. whether numbers were in full)."""
        return {}

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") != "xlsx" and not self.export_always:
            return super().get(request, *args, **kwargs)
        if not holds(request.user, Capability.EXPORT):
            raise PermissionDenied(_("您没有导出权限"))
        rows = self.exported_rows()
        count = _count(rows)
        if count > MAX_ROWS:
            messages.error(request, _("导出 %(count)s 条超过上限，请筛选后分批导出") % {"count": count})
            return HttpResponseRedirect(request.path if not self.export_always else reverse("home"))
        if count > SYNC_ROWS:
            arguments = {"view": self.export_key, **self.list_args.to_job()}
            # The same export asked again joins the one under way; a user has a few at a time, not a queue
            # full (each is a GET: a page reloaded, or a link followed, must not fill the worker).
            active = Job.objects.filter(
                created_by=request.user, kind=EXPORT_JOB, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
            )
            same = next((job for job in active if job.arguments == arguments), None)
            if same is None and len(active) >= MAX_ACTIVE_EXPORTS:
                messages.error(
                    request,
                    _("您已有 %(count)s 个导出在进行中，请等其完成后再导出（见“后台任务”）") % {"count": len(active)},
                )
                return HttpResponseRedirect(request.path if not self.export_always else reverse("home"))
            job = same or start_job(
                actor=request.user,
                kind=EXPORT_JOB,
                title=_("导出：%(title)s（%(count)s 条）") % {"title": self.export_title, "count": count},
                unit=_job_unit(request.user),
                arguments=arguments,
            )
            return HttpResponseRedirect(reverse("core:job_detail", kwargs={"uuid": job.uuid}))
        content, written = write_workbook(self, rows, report=None)
        _log(request.user, self, written, self.list_args.filters().dict())
        return xlsx_response(filename=self.export_title, content=content)


def _count(rows) -> int:
    return rows.count() if isinstance(rows, QuerySet) else len(rows)


def _job_unit(user):
    unit = access_unit(user)
    if unit is None:
        raise PermissionDenied(_("没有可导出的范围"))
    return unit


def _log(user, view, written: int, filters: dict) -> None:
    record_access(
        actor=user,
        kind=AccessKind.EXPORT,
        unit=access_unit(user) or _job_unit(user),
        model=view.export_model,
        detail={
            "rows": written,
            **view.export_detail(),
            "filters": {key: value[:100] for key, value in filters.items()},
        },
    )


def write_workbook(view, rows, *, report) -> tuple[bytes, int]:
    columns = view.export_columns()
    total = _count(rows)
    iterable = rows.iterator(2000) if hasattr(rows, "iterator") else iter(rows)

    def counted():
        for index, row in enumerate(iterable, start=1):
            if report is not None and index % 5000 == 0:
                report(_("写入表格"), done=index, total=total)
            yield row

    content, counts = xlsx_sheets([(view.export_title, columns, counted())])
    return content, counts[0]


PROBLEMS_KIND = "problems"


def keep_problems(*, actor, title: str, columns: list[Column], rows: list) -> Job:
    """Every problem of an upload as a workbook kept for the user who uploaded it (a finished job: the page
    shows the first PAGE_ERROR_LIMIT, the file holds them all)."""
    content, written = xlsx_sheets([(title, columns, rows)])
    job = Job.objects.create(
        kind=PROBLEMS_KIND,
        title=title[:200],
        unit=_job_unit(actor),
        created_by=actor,
        status=JobStatus.DONE,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        result={"rows": written[0]},
    )
    path = export_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    Job.objects.filter(pk=job.pk).update(result_url=reverse("core:job_file", kwargs={"uuid": job.uuid}))
    job.result_url = reverse("core:job_file", kwargs={"uuid": job.uuid})
    return job


def export_path(job: Job) -> Path:
    return settings.VAR_DIR / EXPORT_DIR_NAME / f"{job.uuid}.xlsx"


@handler(EXPORT_JOB)
def run_export(job: Job, report) -> dict:
    """Build the list from what its rows are a function of — the job's user, filters, URL arguments and focus
    unit, as the page had them — and write the workbook for that user to download."""
    get_resolver().url_patterns  # noqa: B018  (a worker has not loaded the pages: their exports register with them)
    arguments = job.arguments
    view = EXPORTABLE[arguments["view"]].from_args(ListArgs.from_job(job.created_by, arguments))
    rows = view.exported_rows()
    content, written = write_workbook(view, rows, report=report)
    path = export_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    _log(job.created_by, view, written, view.list_args.filters().dict())
    Job.objects.filter(pk=job.pk).update(result_url=reverse("core:job_file", kwargs={"uuid": job.uuid}))
    return {"rows": written}
