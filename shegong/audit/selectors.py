"""Reads of the change history and the access log, for district administrators."""

from __future__ import annotations

import datetime as dt
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from .models import AccessLog


def _day_range(queryset: QuerySet, field: str, since: dt.date | None, until: dt.date | None):
    if since:
        queryset = queryset.filter(**{f"{field}__date__gte": since})
    if until:
        queryset = queryset.filter(**{f"{field}__date__lte": until})
    return queryset


def change_log(
    *, user_id: int | None, person_id: int | None, since: dt.date | None, until: dt.date | None
) -> QuerySet[LogEntry]:
    from shegong.people.models import Person

    queryset = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp")
    if user_id:
        queryset = queryset.filter(actor_id=user_id)
    if person_id:
        queryset = queryset.filter(
            content_type=ContentType.objects.get_for_model(Person), object_pk=str(person_id)
        )
    return _day_range(queryset, "timestamp", since, until)


def access_log(
    *, user_id: int | None, person_id: int | None, since: dt.date | None, until: dt.date | None
) -> QuerySet[AccessLog]:
    queryset = AccessLog.objects.select_related("user", "person").order_by("-at", "-id")
    if user_id:
        queryset = queryset.filter(user_id=user_id)
    if person_id:
        queryset = queryset.filter(person_id=person_id)
    return _day_range(queryset, "at", since, until)


def parse_filters(params: Any) -> dict[str, Any]:
    def as_int(name: str) -> int | None:
        value = params.get(name, "")
        return int(value) if value.isdigit() else None

    def as_date(name: str) -> dt.date | None:
        try:
            return dt.date.fromisoformat(params.get(name, ""))
        except ValueError:
            return None

    return {
        "user_id": as_int("user"),
        "person_id": as_int("person"),
        "since": as_date("since"),
        "until": as_date("until"),
    }
