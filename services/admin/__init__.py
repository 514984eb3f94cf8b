"""The generic admin: one spec per entity as data, eager checks of the specs, the list-and-form service with its
extensions, hooks, choices and presentation, and Excel in and out.
"""
