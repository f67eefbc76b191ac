from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import JsonResponse
from django.shortcuts import render

from fangxian.core.audit import audit_context
from fangxian.core.models import new_request_id


class AuditContextMiddleware:
    """Tags every audit record written while serving a request with that request's id (also sent back as a header)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = new_request_id()
        with audit_context(request_id=request.request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class RejectNulMiddleware:
    """A NUL character is nothing anyone typed, and PostgreSQL refuses it in text and jsonb: in a path, a query
    or a submitted form it would end in a 500 wherever it is stored or looked up. It is refused here, once.
    (JSON bodies go through DRF's fields, which refuse it themselves; uploaded files are read by the importers.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or _has_nul(request.GET):
            raise BadRequest("请求中含有非法字符")
        if request.method == "POST" and request.content_type in _FORM_TYPES and _has_nul(request.POST):
            raise BadRequest("提交的内容中含有非法字符")
        return self.get_response(request)


_FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def _has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in value for value in data.getlist(key)) for key in data)


MIB = 1024 * 1024


class RequestSizeMiddleware:
    """A body larger than the upload limit is refused before a byte of it is read (413), so an oversized file
    costs neither the disk nor a worker's minutes; the forms check each file again against the same limit.
    Room is left for the form's other fields and the multipart framing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_UPLOAD_MB * MIB + MIB:
            message = f"提交的内容超过 {settings.MAX_UPLOAD_MB} MB 的上限，请拆分文件后分批上传"
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            context = {"status": 413, "title": "文件过大", "message": message}
            return render(request, "core/error.html", context, status=413)
        return self.get_response(request)
