from django.core.exceptions import BadRequest

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
