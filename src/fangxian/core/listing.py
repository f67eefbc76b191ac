"""What a list is built from: the user, the filters, the URL's arguments and the unit picked in the navigation.

A list view reads only these (never its request) to build its rows, so the same rows come out of the page, its
immediate export and the background export the worker writes hours later with no request at all.
"""

from dataclasses import dataclass, field

from django.http import QueryDict
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

FOCUS_SESSION_KEY = "focus_unit"
# Query parameters that are about the answer, not the rows.
NOT_FILTERS = {"export", "page"}


@dataclass(frozen=True)
class ListArgs:
    user: object
    params: QueryDict = field(default_factory=QueryDict)
    url_kwargs: dict = field(default_factory=dict)
    focus: str = ""  # the code of the unit picked in the navigation bar

    @classmethod
    def of_request(cls, request, url_kwargs: dict) -> "ListArgs":
        session = getattr(request, "session", None) or {}
        return cls(
            user=request.user,
            params=request.GET,
            url_kwargs=dict(url_kwargs),
            focus=session.get(FOCUS_SESSION_KEY, "") or "",
        )

    def filters(self) -> QueryDict:
        """The query string without what only shapes the answer (the page, the export switch)."""
        query = self.params.copy()
        for name in NOT_FILTERS:
            query.pop(name, None)
        return query

    def to_job(self) -> dict:
        """The arguments a background export is rebuilt from (JSON: a job's arguments are stored)."""
        return {
            "query": self.filters().urlencode(),
            "url_kwargs": {key: str(value) for key, value in self.url_kwargs.items()},
            "focus": self.focus,
        }

    @classmethod
    def from_job(cls, user, arguments: dict) -> "ListArgs":
        return cls(
            user=user,
            params=QueryDict(arguments.get("query", "")),
            url_kwargs=dict(arguments.get("url_kwargs") or {}),
            focus=arguments.get("focus", "") or "",
        )


class Table:
    """A list page's table, from the list's column spec (core.exports.Column): the very columns its export
    writes, less those marked off the page. A table on a desktop, a card per row on a phone (each cell labelled
    with its column, app.css). Written here rather than by template loops: a page of 50 rows is ~400 cells, and
    the template engine doubled the list page's time."""

    def __init__(self, columns, rows, *, empty: str = "", testid: str = "", row_testid: str = ""):
        self.columns = [column for column in columns if column.page]
        self.rows, self.empty, self.testid, self.row_testid = rows, empty, testid, row_testid

    def __html__(self) -> SafeString:
        titles = [gettext(column.title) if column.title else "" for column in self.columns]
        openings = [_cell_opening(column, title) for column, title in zip(self.columns, titles, strict=True)]
        row_opening = format_html('<tr data-testid="{}">', self.row_testid) if self.row_testid else "<tr>"
        body = []
        for row in self.rows:
            cells = "".join(
                f"{opening}{conditional_escape(_page_cell(column, row))}</td>"
                for column, opening in zip(self.columns, openings, strict=True)
            )
            body.append(f"{row_opening}{cells}</tr>")
        if not body:
            body.append(
                format_html(
                    '<tr><td colspan="{}" class="text-center text-secondary py-5">{}</td></tr>',
                    len(self.columns),
                    self.empty,
                )
            )
        head = "".join(format_html("<th>{}</th>", title) for title in titles)
        testid = format_html(' data-testid="{}"', self.testid) if self.testid else ""
        return mark_safe(  # every cell above was escaped or built by format_html
            f'<div class="table-responsive"><table class="table card-table table-vcenter table-cards"{testid}>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        )

    __str__ = __html__


def _cell_opening(column, title: str) -> str:
    css = " ".join(part for part in (column.css, "cell-heading" if column.heading else "") if part)
    return format_html(
        '<td data-label="{}"{}{}>',
        title,
        format_html(' class="{}"', css) if css else "",
        format_html(' data-testid="{}"', column.testid) if column.testid else "",
    )


def _page_cell(column, row):
    if column.cell is not None:
        return column.cell(row)
    value = column.value(row)
    return "" if value is None else value
