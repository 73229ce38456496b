"""Roadie's conversations, kept in the local data file (tables of migration 0003).

Writes are small and rare (two rows per question) and go through their own engine
with the house WAL settings and an IMMEDIATE transaction, so they wait politely for
the capture thread's commits.  Only complete answers go back to the model as
history; a stopped, cut or failed answer is kept (the player saw it) but marked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from roadmaster.storage.engine import WRITER
from roadmaster.storage.tables import conversation_messages as msgs
from roadmaster.storage.tables import conversations, utc_now

#: How many earlier question/answer pairs go back to the model with a new question.
HISTORY_PAIRS: Final = 10
TITLE_CHARS: Final = 60


@dataclass(frozen=True, slots=True)
class StoredMessage:
    role: str
    text: str
    state: str
    input_tokens: int
    output_tokens: int
    created_at: datetime


class ConversationStore:
    """Conversations on ``engine`` (a read-write engine on the data file)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine
        self.clock = clock

    def new_conversation(self, title: str = "") -> int:
        with self.engine.connect().execution_options(**WRITER) as conn, conn.begin():
            result = conn.execute(
                sa.insert(conversations).values(title=title[:TITLE_CHARS], created_at=self.clock())
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def latest_conversation(self) -> int | None:
        with self.engine.connect() as conn:
            value = conn.execute(sa.select(sa.func.max(conversations.c.id))).scalar()
        return None if value is None else int(value)

    def add(
        self,
        conversation_id: int,
        role: str,
        text: str,
        *,
        state: str = "complete",
        api_requests: int = 0,
        input_tokens: int = 0,
        output_tokens: int = 0,
    ) -> None:
        with self.engine.connect().execution_options(**WRITER) as conn, conn.begin():
            conn.execute(
                sa.insert(msgs).values(
                    conversation_id=conversation_id,
                    role=role,
                    text=text,
                    state=state,
                    api_requests=api_requests,
                    input_tokens=input_tokens,
                    output_tokens=output_tokens,
                    created_at=self.clock(),
                )
            )
            if role == "user":
                conn.execute(
                    sa.update(conversations)
                    .where(conversations.c.id == conversation_id, conversations.c.title == "")
                    .values(title=text.strip()[:TITLE_CHARS])
                )

    def messages(self, conversation_id: int) -> list[StoredMessage]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    msgs.c.role,
                    msgs.c.text,
                    msgs.c.state,
                    msgs.c.input_tokens,
                    msgs.c.output_tokens,
                    msgs.c.created_at,
                )
                .where(msgs.c.conversation_id == conversation_id)
                .order_by(msgs.c.id)
            ).all()
        return [StoredMessage(*r) for r in rows]

    def history(self, conversation_id: int) -> list[dict[str, Any]]:
        """The last HISTORY_PAIRS complete question/answer pairs, as API messages
        (strictly alternating user/assistant)."""
        pairs: list[tuple[str, str]] = []
        question: str | None = None
        for m in self.messages(conversation_id):
            if m.role == "user":
                question = m.text
            elif question is not None:
                if m.state == "complete" and m.text.strip():
                    pairs.append((question, m.text))
                question = None
        out: list[dict[str, Any]] = []
        for q, a in pairs[-HISTORY_PAIRS:]:
            out.append({"role": "user", "content": q})
            out.append({"role": "assistant", "content": a})
        return out

    def requests_since(self, since: datetime) -> int:
        """API requests made since ``since`` (for the per-hour cap; every process
        that asks writes here, so the CLI and the window share one budget)."""
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(sa.func.total(msgs.c.api_requests)).where(msgs.c.created_at >= since)
            ).scalar()
        return int(value or 0)

    def requests_last_hour(self) -> int:
        return self.requests_since(self.clock() - timedelta(hours=1))
