"""Background jobs: one stored row per job, run by the django-tasks database worker (`fangxian worker`).

Live progress goes to a small JSON file per job under var/jobs, not to the database: the work of a job is
usually one long write transaction, and on SQLite no other connection could write progress until it ends.
The file also carries a heartbeat, so a job whose process died is found and marked interrupted; its work,
having been one transaction, left nothing behind and can be started again.
"""

import json
import logging
import os
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from fangxian.core.audit import audit_context, require_actor
from fangxian.core.choices import JobStatus
from fangxian.core.models import Job, Unit, User
from fangxian.core.sweeps import sweep

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=10)
Report = Callable[..., None]
HANDLERS: dict[str, Callable[[Job, Report], dict]] = {}


def handler(kind: str):
    """Register the function that does the work of one kind of job: fn(job, report) -> result dict."""

    def register(function):
        HANDLERS[kind] = function
        return function

    return register


def progress_path(job: Job) -> Path:
    return settings.VAR_DIR / "jobs" / f"{job.uuid}.json"


def read_progress(job: Job) -> dict:
    try:
        return json.loads(progress_path(job).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


class Reporter:
    """report("正在校验", done=1000, total=200000): written at once, atomically, with a heartbeat."""

    def __init__(self, job: Job):
        self.path = progress_path(job)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lines: list[str] = []
        self.state = {"message": "", "done": 0, "total": 0}

    def __call__(self, message: str, *, done: int | None = None, total: int | None = None) -> None:
        if message != self.state["message"]:
            self.lines.append(f"{timezone.localtime():%H:%M:%S} {message}")
        self.state.update(message=message)
        if done is not None:
            self.state["done"] = done
        if total is not None:
            self.state["total"] = total
        self.state["heartbeat"] = time.time()
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.state, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.path)


def start_job(*, actor: User, kind: str, title: str, unit: Unit, arguments: dict, result_url: str = "") -> Job:
    require_actor(actor)
    if kind not in HANDLERS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job.objects.create(
        kind=kind, title=title[:200], unit=unit, created_by=actor, arguments=arguments, result_url=result_url
    )
    # Queued only once the job row is committed, so the worker always finds it.
    transaction.on_commit(lambda: run_job_task.enqueue(job.pk))
    return job


@task()
def run_job_task(job_id: int) -> None:
    run_job(job_id)


def run_job(job_id: int) -> None:
    # Claimed exactly once: only the worker that moves it from queued to running does the work.
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return
    job = Job.objects.select_related("created_by", "unit").get(pk=job_id)
    report = Reporter(job)
    report("开始")
    try:
        with audit_context(job_id=str(job.uuid)):
            result = HANDLERS[job.kind](job, report)
        status, message = JobStatus.DONE, "完成"
    except (ValidationError, PermissionDenied) as error:
        result, status = {}, JobStatus.FAILED
        message = "失败：" + "；".join(getattr(error, "messages", [str(error)]))
    except Exception:
        logger.exception("job %s (%s) failed", job.uuid, job.kind)
        result, status, message = {}, JobStatus.FAILED, "失败：系统错误，未写入任何数据，已记录在服务器日志中"
    report(message)
    Job.objects.filter(pk=job.pk).update(
        status=status, result=result, finished_at=timezone.now(), log="\n".join(report.lines)
    )


@sweep
def sweep_stale_jobs(now: float | None = None) -> int:
    """Running jobs whose heartbeat stopped: their process died. Their transaction left nothing behind."""
    now = now or time.time()
    count = 0
    for job in Job.objects.filter(status=JobStatus.RUNNING):
        heartbeat = read_progress(job).get("heartbeat") or (job.started_at.timestamp() if job.started_at else now)
        if now - heartbeat > STALE_AFTER.total_seconds():
            changed = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
                status=JobStatus.INTERRUPTED,
                finished_at=timezone.now(),
                log=(job.log + "\n" if job.log else "") + "进程中断：本次未写入任何数据，可重新运行",
            )
            count += changed
    return count
