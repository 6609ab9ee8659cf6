"""受理事项 of a window (``/console/windows/<id>/items/``): which items (事项) the window takes in.

The window page itself belongs to ``organizations``; the link between windows and items is kept
here (``ServiceItem.windows``) because items sit above organisations. Supervisors and department
admins of the window's subtree (another subtree's window: 404); a department admin ticks only
their own departments' items (``services.window_items_set``, audited on the window).
"""

from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from haochaping.audit.services import Actor
from haochaping.core.errors import ValidationFailed
from haochaping.core.pages.forms import checkbox_items
from haochaping.organizations.administration.rules import require_administrator
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope, window_get_for
from haochaping.service_records.selectors import window_item_choices, window_items
from haochaping.service_records.services import window_items_set


@console_page
@require_http_methods(["GET", "POST"])
def window_items_view(request, scope: Scope, pk: int):
    require_administrator(scope)
    window = window_get_for(scope=scope, pk=pk)  # another subtree's window: 404 before anything else
    choices = list(window_item_choices(scope=scope))
    current = list(window_items(window_id=window.pk))
    if request.method == "POST":
        by_id = {str(item.pk): item for item in choices}
        picked = [by_id[value] for value in request.POST.getlist("items") if value in by_id]
        try:
            window_items_set(actor=Actor.for_user(request.user), scope=scope, window=window, items=picked)
        except ValidationFailed as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已保存窗口“{window.name}”的受理事项（可选范围内勾选 {len(picked)} 项）。")
            return redirect("console:window_detail", pk=window.pk)
    selected = {item.pk for item in current}
    groups = [  # thousands of boxes at a city's scale: rendered in one pass, not by a template loop
        (department, checkbox_items("items", ((item.pk, item.name, item.code) for item in items), selected))
        for department, items in groupby(choices, key=lambda item: item.department)
    ]
    others = [item for item in current if item.pk not in {c.pk for c in choices}]
    context = {"nav": "windows", "window": window, "groups": groups, "selected": selected, "others": others}
    return render(request, "service_records/window_items.html", context)
