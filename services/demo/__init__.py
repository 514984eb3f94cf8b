"""Demo data: a realistic city of mediation bodies, staff and years of cases, and demo register entries."""
