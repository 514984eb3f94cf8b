"""Demo data: a realistic city of mediation bodies, staff and years of cases, and demo register entries.

`seed` runs the stages (seed_demo, read_demo_logins); `city`, `people`, `cases`, `outcomes` and `derived` make
the rows, `bulk` writes them on both engines, `registers` files register entries through the service, and
`vocabulary.toml` holds the words, place names and weights.
"""
