from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.catalogue.models import CourseVersion
from lms.core.db_types import UTCDateTime
from lms.elearning.models import Enrolment
from lms.extensions import db


class ScormPackage(db.Model):
    """The SCORM 1.2 package that is one version of an e-learning course. Its files are
    under SCORM_STORAGE_DIR/<storage_key>/."""

    __tablename__ = "scorm_package"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_version.id", ondelete="CASCADE"), unique=True)
    storage_key: Mapped[str] = mapped_column(String(32), unique=True)
    launch: Mapped[str] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(200))
    mastery_score: Mapped[int | None]
    # Which lesson statuses complete the course: "passed" and/or "completed".
    completion_statuses: Mapped[list] = mapped_column(JSON)
    file_count: Mapped[int]
    unpacked_bytes: Mapped[int] = mapped_column(BigInteger)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    version: Mapped[CourseVersion] = relationship()


class ScormAttempt(db.Model):
    """A learner's run-time data (CMI) for one enrolment on a package. Saves carry an
    increasing sequence number; only a save newer than the last one applied changes it."""

    __tablename__ = "scorm_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"), unique=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("scorm_package.id", ondelete="CASCADE"), index=True)
    lesson_status: Mapped[str] = mapped_column(String(20), default="not attempted")
    score_raw: Mapped[Decimal | None] = mapped_column(db.Numeric(7, 2))
    lesson_location: Mapped[str] = mapped_column(String(255), default="")
    suspend_data: Mapped[str] = mapped_column(Text, default="")
    session_time: Mapped[str] = mapped_column(String(20), default="")
    # The player session that sent the last save, its time so far, and the earlier sessions' time.
    session_key: Mapped[str] = mapped_column(String(40), default="")
    session_seconds: Mapped[int] = mapped_column(default=0)
    previous_seconds: Mapped[int] = mapped_column(default=0)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    saves: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    enrolment: Mapped[Enrolment] = relationship()
    package: Mapped[ScormPackage] = relationship()

    @property
    def total_seconds(self) -> int:
        return self.previous_seconds + self.session_seconds
