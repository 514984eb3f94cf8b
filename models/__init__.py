"""Every table, imported once so metadata is complete before migrations or create_all."""

from models.assessment import (
    AssessmentScheme,
    CaseNumber,
    DossierChecklist,
    DossierReview,
    DossierSample,
    NumberCounter,
    NumberingRule,
    Scorecard,
    ScoreEntry,
)
from models.audit import AuditLog
from models.board import BoardPost
from models.case import Case, CaseCounter, CaseEvent, CaseStatus, Grade, JointParticipant, Party, Referral
from models.document import DocumentTemplate
from models.document_number import DocumentNumber
from models.ledger import Budget, LedgerEntry, PayoutBatch, SubsidyClaim, SubsidyRate
from models.lowcode import ConfigVersion, DictionaryEntry, FormSpec, FormSubmission, Notification
from models.mediation import (
    Agreement,
    Attachment,
    FollowUp,
    GradeAudit,
    JudicialConfirmation,
    MediationSession,
    PartyConfirmation,
    PartyLink,
    PublicRating,
)
from models.mediator import DutyShift, ExpertPool, ExpertPoolMember, Mediator, MediatorPosting, TrainingRecord
from models.notify import OrgWebhook, WebhookDelivery
from models.org import Organisation, OrgHistory, OrgKind
from models.rating import ChecklistItem, ChecklistState, Rating, RatingScheme, TitleAward
from models.stats import SUMMARY_TABLES as SUMMARY_TABLES  # issue 21: statistics summaries (tables and flush listeners)
from models.supervision import (  # issue 18
    AccountabilityEvent,
    CaseRisk,
    Consultation,
    SupervisionOrder,
    SupervisionReport,
    SupervisionRequest,
)
from models.trust import Appointment, AppointmentSetting, RecusalRequest, VerificationFile, VerificationIssue
from models.user import AuthSession, LoginThrottle, RateLimit, Role, RolePermission, User, UserRole

__all__ = [
    "AccountabilityEvent",
    "Agreement",
    "Appointment",
    "AppointmentSetting",
    "AssessmentScheme",
    "Attachment",
    "AuditLog",
    "AuthSession",
    "BoardPost",
    "Budget",
    "Case",
    "CaseCounter",
    "CaseEvent",
    "CaseNumber",
    "CaseRisk",
    "CaseStatus",
    "ChecklistItem",
    "ChecklistState",
    "ConfigVersion",
    "Consultation",
    "DictionaryEntry",
    "DocumentNumber",
    "DocumentTemplate",
    "DossierChecklist",
    "DossierReview",
    "DossierSample",
    "DutyShift",
    "ExpertPool",
    "ExpertPoolMember",
    "FollowUp",
    "FormSpec",
    "FormSubmission",
    "Grade",
    "GradeAudit",
    "JointParticipant",
    "JudicialConfirmation",
    "LedgerEntry",
    "LoginThrottle",
    "MediationSession",
    "Mediator",
    "MediatorPosting",
    "Notification",
    "NumberCounter",
    "NumberingRule",
    "OrgHistory",
    "OrgKind",
    "OrgWebhook",
    "Organisation",
    "Party",
    "PartyConfirmation",
    "PartyLink",
    "PayoutBatch",
    "PublicRating",
    "RateLimit",
    "Rating",
    "RatingScheme",
    "RecusalRequest",
    "Referral",
    "Role",
    "RolePermission",
    "ScoreEntry",
    "Scorecard",
    "SubsidyClaim",
    "SubsidyRate",
    "SupervisionOrder",
    "SupervisionReport",
    "SupervisionRequest",
    "TitleAward",
    "TrainingRecord",
    "User",
    "UserRole",
    "VerificationFile",
    "VerificationIssue",
    "WebhookDelivery",
]
