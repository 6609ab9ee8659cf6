"""Shared abstract bases and the few cross-cutting tables every app relies on."""

from __future__ import annotations

from django.db import models


class CalendarDay(models.Model):
    """An entered working-day override that beats the `chinesecalendar` package.

    The State Council publishes next year's holidays and make-up workdays (调休) each November;
    operators enter them here for years the installed package does not know yet, and can
    correct a single day (a local closure) for any year. See ``haochaping.core.calendar``.
    """

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日")
    note = models.CharField("说明", max_length=100, blank=True)

    class Meta:
        verbose_name = "工作日历调整"
        verbose_name_plural = "工作日历调整"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {'工作日' if self.is_workday else '休息日'}"
