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
    """A NUL character can reach no lookup: PostgreSQL refuses it in text, so it would end in a 500, not a 404."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any("\x00" in value for value in request.GET.values()):
            raise BadRequest("请求中含有非法字符")
        return self.get_response(request)
