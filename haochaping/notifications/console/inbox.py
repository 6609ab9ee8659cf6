"""The in-app inbox (消息): the user's own notifications, marked read on request.

A message about a case links to the case page, which checks the case scope again: a message
never grants access by itself.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from haochaping.core.pages.paging import page_of
from haochaping.notifications.selectors import inbox_for
from haochaping.notifications.services import notification_mark_read
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope


def _case_id(notification) -> int | None:
    value = (notification.context or {}).get("case_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@console_page
@require_http_methods(["GET", "POST"])
def inbox(request, scope: Scope):
    unread_only = request.GET.get("unread") == "1"
    if request.method == "POST":
        if request.POST.get("all"):
            ids = list(inbox_for(request.user, unread_only=True).values_list("id", flat=True))
        else:
            ids = [int(value) for value in request.POST.getlist("ids") if value.isdigit()]
        marked = notification_mark_read(user=request.user, ids=ids)
        case_id = request.POST.get("open", "")
        if case_id.isdigit():
            # "查看工单" on an unread message: read, then the case page (which checks scope again).
            return redirect("console:case_detail", pk=int(case_id))
        messages.success(request, f"已将 {marked} 条消息标为已读。" if marked else "没有需要标为已读的消息。")
        return redirect(f"{reverse('console:inbox')}{'?unread=1' if unread_only else ''}")
    page = page_of(request, inbox_for(request.user, unread_only=unread_only))
    for notification in page.object_list:
        notification.linked_case_id = _case_id(notification)
    context = {"nav": "inbox", "page_obj": page, "unread_only": unread_only}
    return render(request, "notifications/inbox.html", context)
