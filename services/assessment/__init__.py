"""Unit assessment (目标考核) and dossier quality review (卷宗评查): the numbers offices print on cases, the
dossier checklist, samples and reviews that decide the per-case subsidy, assessment schemes as versioned data,
and per-unit scorecards with the records behind each figure.
"""
