"""Tables of the knowledge base: solved cases, their phrasings (with stored embeddings), revision."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

CASE_STATES = ("draft", "published", "retired", "rejected")
CASE_SOURCES = ("import", "editor", "ticket")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Case(Base):
    __tablename__ = "kb_cases"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    answer: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    product: Mapped[str] = mapped_column(String(120), default="")
    state: Mapped[str] = mapped_column(String(16), default="published", index=True)
    source: Mapped[str] = mapped_column(String(16), default="editor")
    source_ref: Mapped[str | None] = mapped_column(String(120), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # the answer in other languages: {"ko": "...", ...} (``answer`` is the case's own language)
    translations: Mapped[dict[str, str] | None] = mapped_column(JSON, default=dict)

    phrasings: Mapped[list[Phrasing]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Phrasing.id"
    )

    @property
    def questions(self) -> list[str]:
        return [p.text for p in self.phrasings]


class Phrasing(Base):
    __tablename__ = "kb_phrasings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("kb_cases.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    model: Mapped[str | None] = mapped_column(String(200), default=None)

    case: Mapped[Case] = relationship(back_populates="phrasings")


class KBState(Base):
    """One row: the knowledge base's revision, bumped by every change that affects answers."""

    __tablename__ = "kb_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
