"""Imports every feature's models so that the ORM and Alembic see all tables."""
from . import indexes  # noqa: F401  (indexes for the lists and aggregates at scale)
from .accounts.models import LoginAttempt, User  # noqa: F401
from .applications.models import (  # noqa: F401
    Application,
    ApplicationCase,
    ApplicationDocument,
    ApplicationEvent,
    ApplicationRating,
    PasswordResetRequest,
    StatusLookupAttempt,
)
from .audit.models import AuditEvent  # noqa: F401
from .bulletins.models import Bulletin, BulletinItem  # noqa: F401
from .disclosure.models import (  # noqa: F401
    Duty,
    KeyArea,
    Task,
    TaskAttachment,
    TaskChannel,
    TaskEvent,
)
from .inspections.models import (  # noqa: F401
    Finding,
    Inspection,
    InspectionUnit,
    Rectification,
    RectificationEvent,
    RectificationEvidence,
    RectificationResponse,
    Urging,
)
from .notify.models import (  # noqa: F401
    ActionToken,
    GroupedReminder,
    Notification,
    OutboxMail,
    RobotItem,
    SenderInstance,
    Setting,
    UnitRobot,
    UserChannels,
)
from .reports.models import (  # noqa: F401
    AnnualReport,
    NormativeDocument,
    ReportFigure,
    ReportSubmission,
    ReportYear,
)
from .scores.models import (  # noqa: F401
    ManualEntry,
    Objection,
    Rubric,
    Score,
    ScoreFile,
    ScoreItem,
    ScorePeriod,
    ScoreRerun,
    ScoreVoid,
)
from .sweeps.models import JobFailure, JobRun  # noqa: F401
from .units.models import Unit  # noqa: F401
from .website.models import WebCheck, WebColumn, WebFinding, WebPage  # noqa: F401
from .workcal.models import CalendarDay, CalendarNotice, DeadlineChange  # noqa: F401
