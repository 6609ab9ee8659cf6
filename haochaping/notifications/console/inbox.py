"""The in-app inbox (消息): the user's own notifications, grouped, marked read on request.

Messages about the same case (or demand; the supervisors' daily digests) form one row: the
latest message, how many there are and how many unread, the others in a ``<details>`` list (no
script); 标为已读 marks the whole group. A message that stands alone is a row of its own.

A message about a case links to the case page, which checks the case scope again: a message
never grants access by itself (the same for a demand's page and the digest's lists).
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from haochaping.core.pages.paging import page_of
from haochaping.notifications.selectors import InboxGroup, inbox_for, inbox_group_rows, inbox_groups
from haochaping.notifications.services import notification_mark_read
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope

# A thread's page: "case:<id>" and "demand:<id>" (URL names of the console namespace).
THREAD_PAGES = {"case": ("console:case_detail", "查看工单"), "demand": ("console:outreach_demand_detail", "查看诉求")}
# Lists a digest links to: context key -> button text. Only console paths are linked.
DIGEST_LINKS = (("cases_url", "查看逾期工单"), ("demands_url", "查看逾期诉求"))


def _thread_page(thread: str) -> tuple[str, str] | None:
    """(URL, button text) of the case or demand a thread is about, None for other threads."""
    kind, _, pk = thread.partition(":")
    if kind not in THREAD_PAGES or not pk.isdigit():
        return None
    name, label = THREAD_PAGES[kind]
    return reverse(name, args=[int(pk)]), label


def _links(group: InboxGroup) -> list[tuple[str, str]]:
    """The digest's list links, from its latest message's context (console paths only)."""
    context = group.latest.context or {}
    return [
        (context[key], label)
        for key, label in DIGEST_LINKS
        if isinstance(context.get(key), str) and context[key].startswith("/console/")
    ]


@console_page
@require_http_methods(["GET", "POST"])
def inbox(request, scope: Scope):
    unread_only = request.GET.get("unread") == "1"
    if request.method == "POST":
        if request.POST.get("all"):
            ids = list(inbox_for(request.user, unread_only=True).values_list("id", flat=True))
        else:
            ids = [int(value) for value in request.POST.getlist("ids") if value.isdigit()]
        threads = request.POST.getlist("group")
        marked = notification_mark_read(user=request.user, ids=ids, threads=threads)
        opened = request.POST.get("open", "")
        # "查看工单"/"查看诉求" on an unread group: read, then the page (which checks scope again).
        target = _thread_page(f"case:{opened}" if opened.isdigit() else opened)
        if target is not None:
            return redirect(target[0])
        messages.success(request, f"已将 {marked} 条消息标为已读。" if marked else "没有需要标为已读的消息。")
        return redirect(f"{reverse('console:inbox')}{'?unread=1' if unread_only else ''}")
    page = page_of(request, inbox_groups(request.user, unread_only=unread_only))
    page.object_list = inbox_group_rows(request.user, page.object_list)
    for group in page.object_list:
        page_link = _thread_page(group.thread)
        group.page_url, group.page_label = page_link or ("", "")
        group.links = _links(group)
        group.linked_case_id = int(group.thread[5:]) if group.thread.startswith("case:") and page_link else None
    context = {"nav": "inbox", "page_obj": page, "unread_only": unread_only}
    return render(request, "notifications/inbox.html", context)
