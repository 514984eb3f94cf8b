"""Star ratings of mediators and mediation organisations: schemes as versioned data, metrics, computed runs,
review and publication, score cards, titles, the standardisation checklist, objections and fingerprints.
"""
