"""The Tasks page's query: all of a rep's live tasks, optionally of one status, by due date, in pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from mock_sia.models import Task
from mock_sia.store import SiaStore, UserInfo
from mock_sia.wire import task_to_dict

PER_PAGE = 25


@dataclass
class TaskPage:
    tasks: list[dict[str, Any]]
    page: int
    pages: int
    total: int


def task_page(
    store: SiaStore, user: UserInfo, status: str | None, page: int, per_page: int = PER_PAGE
) -> TaskPage:
    """Never deleted ones (R6.2); the earliest due first, tasks without a due date last."""
    where = [Task.user_pk == user.pk, Task.deleted_ms.is_(None)]
    if status:
        where.append(Task.status == status)
    with store.tx() as s:
        total = s.scalar(select(func.count()).select_from(Task).where(*where)) or 0
        pages = max(1, -(-total // per_page))
        page = min(page, pages)
        rows = s.scalars(
            select(Task)
            .where(*where)
            .order_by(Task.due_date.is_(None), Task.due_date, Task.created_ms, Task.pk)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        return TaskPage([task_to_dict(t, user.id) for t in rows], page, pages, total)
