"""A dispute's life as a case: creating and registering it, the state machine and its groups of states,
deadlines, hand-overs, joint mediation, mediation and online sessions, outcomes, judicial confirmation,
early warnings, the workbench, the case page's read model, the case export and the parties' own links.
"""
