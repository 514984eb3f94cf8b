"""The groups of case states, each named once for what it means (the states are `models.CaseStatus`).

A case goes submitted → accepted → in_mediation → succeeded → followed_up → archived; it may instead be
rejected (never mediated), or fail or be withdrawn; failed, withdrawn and rejected cases are archived too.
Groups are tuples, not sets: a fixed order builds the same SQL on every run.
"""

from __future__ import annotations

from models import CaseStatus

S = CaseStatus

# Not yet concluded: waiting to be accepted or being mediated. Such a case can still be handed over or joined,
# counts as "in progress" in the statistics and is in the partial index `models.case.OPEN_WHERE`.
OPEN = (S.SUBMITTED, S.ACCEPTED, S.IN_MEDIATION)

# Accepted and not yet concluded: sessions are recorded, the deadline to conclude runs, and the mediation may
# succeed, fail or be withdrawn.
MEDIATING = (S.ACCEPTED, S.IN_MEDIATION)

# No longer open: every later state (the retention period runs from the closing).
CLOSED = (S.REJECTED, S.SUCCEEDED, S.FAILED, S.WITHDRAWN, S.FOLLOWED_UP, S.ARCHIVED)

# The ends of a mediation: reaching one sets the case's concluded_at.
CONCLUDED = (S.SUCCEEDED, S.FAILED, S.WITHDRAWN)

# The ends of a mediation and the rejection of an application: the moves that end a case's handling.
CONCLUDED_OR_REJECTED = (*CONCLUDED, S.REJECTED)

# Never accepted: still waiting, or turned away.
UNACCEPTED = (S.SUBMITTED, S.REJECTED)

# Succeeded and since followed up or archived: counted as a success where only the status is asked (subsidy
# claims, grade audits, imported old cases). An archived case may also have failed; `Case.outcome` tells.
SUCCEEDED = (S.SUCCEEDED, S.FOLLOWED_UP, S.ARCHIVED)

# An agreement stands and the case is not archived: its performance is recorded, a court may confirm it.
AGREED = (S.SUCCEEDED, S.FOLLOWED_UP)

# Being mediated or just succeeded (not yet followed up): an online session may be arranged.
ONLINE_BOOKABLE = (S.ACCEPTED, S.IN_MEDIATION, S.SUCCEEDED)

# Still in the office's hands: open, or concluded and not yet archived (a rejected case is done with). The
# workbench lists and counts these.
ACTIVE = (*OPEN, S.SUCCEEDED, S.FOLLOWED_UP, S.FAILED, S.WITHDRAWN)

# Concluded by mediation, then perhaps followed up or archived: the party may rate the service (not while the
# application stands rejected: it was never mediated).
RATEABLE = (S.SUCCEEDED, S.FAILED, S.WITHDRAWN, S.FOLLOWED_UP, S.ARCHIVED)

# Succeeded or failed (followed up or archived included): a case that may be picked as a typical case for the
# public board (a withdrawn one may not).
PUBLISHABLE = (S.SUCCEEDED, S.FAILED, S.FOLLOWED_UP, S.ARCHIVED)
