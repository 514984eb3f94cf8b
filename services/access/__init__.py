"""Who may do what: sign-in with its throttle and server-side sessions, the acting user and permission checks,
staff accounts and roles, and the actor's area (the subtree of organisations a user works in).
"""
