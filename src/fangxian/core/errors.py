"""Error pages in the user's language; never a stack trace outside DEBUG."""

from django.shortcuts import render
from django.utils.translation import gettext as _


def _page(request, status: int, title: str, message: str):
    return render(request, "core/error.html", {"status": status, "title": title, "message": message}, status=status)


def bad_request(request, exception=None):
    return _page(request, 400, _("请求有误"), _("提交的内容无法处理，请返回检查后重试。"))


def permission_denied(request, exception=None):
    message = str(exception) if exception and str(exception) else _("您没有执行该操作的权限。")
    return _page(request, 403, _("无权访问"), message)


def page_not_found(request, exception=None):
    return _page(request, 404, _("未找到"), _("该页面或记录不存在，或不在您的管辖范围内。"))


def server_error(request):
    # Rendered without the request context: whatever broke may be in a context processor.
    from django.http import HttpResponseServerError
    from django.template import loader

    template = loader.get_template("core/error_500.html")
    return HttpResponseServerError(template.render({}))
