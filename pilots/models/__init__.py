"""Pilot records (pilots.py) and experience-officer panels (panels.py), importable from here."""

from pilots.models.pilots import *  # noqa: F403
from pilots.models.pilots import (  # noqa: F401  (names other modules import, listed for readers)
    DECISION_STAGE,
    FINAL_STAGES,
    STAGE_ORDER,
    Cycle,
    CycleChange,
    Decision,
    DecisionKind,
    Pilot,
    SegmentCount,
    Stage,
    Variant,
    next_stages,
)
from pilots.models.panels import *  # noqa: E402, F403
from pilots.models.panels import (  # noqa: E402, F401
    FEEDBACK_NEXT,
    Assignment,
    AssignmentStatus,
    Availability,
    Feedback,
    FeedbackChannel,
    FeedbackStatus,
    Managed,
    Notice,
    Officer,
    OfficerStatus,
    Panel,
    PanelMember,
    Problem,
    Quota,
    Recruited,
    Severity,
    SmartphoneUse,
    Task,
)
