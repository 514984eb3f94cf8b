"""The document kinds as data: what each is for, what it is generated for, who may have it, its placeholders.

Every placeholder has a help text in the catalogue (`documents.ph.<name>`), shown to an office that
edits its own template; an uploaded template may use only the placeholders of its kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CASE, SESSION, FOLLOWUP = "case", "session", "followup"

COMMON = (
    "org_name",
    "org_address",
    "org_phone",
    "case_no",
    "doc_no",
    "case_name",
    "category",
    "source",
    "received_date",
    "mediator_name",
    "applicants",
    "respondents",
    "parties",
)
PARTY = ("side", "name", "gender", "id_number", "phone", "address", "summary")
EVIDENCE = ("no", "name", "kind", "size", "sha256", "file", "note")
ENTRY = ("no", "title", "date", "file", "note")
AGREEMENT = (
    "description",
    "terms",
    "obligations",
    "amount",
    "amount_upper",
    "performance_due",
    "signed_date",
    "agreement_version",
    "recorder",
)


@dataclass(frozen=True)
class DocKind:
    """One kind of document. `full_pii` kinds carry the parties' full identity details (signed legal
    documents and the court packet): only users handling the case get them, and each one is audited."""

    key: str
    per: str = CASE  # generated once per case, per mediation session or per follow-up visit
    full_pii: bool = True
    scalars: tuple[str, ...] = ()
    loops: dict[str, tuple[str, ...]] = field(default_factory=dict)
    bundle_only: bool = False  # only inside the court packet or the dossier

    @property
    def names(self) -> frozenset[str]:
        """Every placeholder the kind fills."""
        return frozenset(COMMON + self.scalars) | {f"{k}.{f}" for k, fs in self.loops.items() for f in fs}


KINDS: tuple[DocKind, ...] = (
    DocKind(
        "intake",
        scalars=(
            "description",
            "request",
            "place",
            "amount",
            "group_size",
            "risk",
            "decision",
            "accepted_date",
            "registrar",
        ),
        loops={"party": PARTY},
    ),
    DocKind(
        "session",
        per=SESSION,
        full_pii=False,
        scalars=(
            "session_no",
            "session_count",
            "held_at",
            "session_place",
            "session_mode",
            "duration",
            "participants",
            "attended",
            "notes",
            "recorder",
        ),
        loops={"party": PARTY},
    ),
    DocKind("agreement", scalars=(*AGREEMENT, "copies"), loops={"party": PARTY}),
    DocKind("oral_agreement", scalars=AGREEMENT, loops={"party": PARTY}),
    DocKind("performance_certificate", scalars=(*AGREEMENT, "performed_date"), loops={"party": PARTY}),
    DocKind(
        "followup",
        per=FOLLOWUP,
        full_pii=False,
        scalars=(
            "followup_no",
            "followup_date",
            "followup_method",
            "satisfaction",
            "agreement_holds",
            "performance",
            "followup_note",
            "recorder",
            "signed_date",
            "terms",
        ),
    ),
    DocKind("confirmation_application", scalars=(*AGREEMENT, "court_name", "applied_date"), loops={"party": PARTY}),
    DocKind("identity_sheet", scalars=("court_name",), loops={"party": PARTY}, bundle_only=True),
    DocKind("evidence_list", scalars=("evidence_count",), loops={"item": EVIDENCE}, bundle_only=True),
    DocKind(
        "dossier_cover",
        scalars=("outcome", "concluded_date", "archived_date", "archivist", "file_count", "confirmation"),
        bundle_only=True,
    ),
    DocKind("dossier_toc", scalars=("file_count",), loops={"entry": ENTRY}, bundle_only=True),
)
BY_KEY = {k.key: k for k in KINDS}


def kind_of(key: str) -> DocKind | None:
    return BY_KEY.get(key)


def all_placeholder_names() -> list[str]:
    """Every placeholder of every kind (each needs a help text in the catalogue)."""
    return sorted(set().union(*(k.names for k in KINDS)))
