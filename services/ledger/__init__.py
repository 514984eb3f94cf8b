"""The per-case subsidy ledger (以案定补): claims through audit, approval and payment, the policy of who may claim
what, budgets, payout batches, the payout sheet and the ledger's read models.
"""
