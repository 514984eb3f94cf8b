"""Every table, imported once so metadata is complete before migrations or create_all."""

from models.audit import AuditLog
from models.board import BoardPost
from models.case import Case, CaseCounter, CaseEvent, CaseStatus, Grade, JointParticipant, Party, Referral
from models.document import DocumentTemplate
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
from models.user import AuthSession, LoginThrottle, RateLimit, Role, RolePermission, User, UserRole

__all__ = [
    "Agreement",
    "Attachment",
    "AuditLog",
    "AuthSession",
    "BoardPost",
    "Budget",
    "Case",
    "CaseCounter",
    "CaseEvent",
    "CaseStatus",
    "ChecklistItem",
    "ChecklistState",
    "ConfigVersion",
    "DictionaryEntry",
    "DocumentTemplate",
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
    "Referral",
    "Role",
    "RolePermission",
    "SubsidyClaim",
    "SubsidyRate",
    "TitleAward",
    "TrainingRecord",
    "User",
    "UserRole",
    "WebhookDelivery",
]
