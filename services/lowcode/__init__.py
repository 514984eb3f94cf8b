"""What an office changes without code: forms and their fields, custom fields on the built-in forms, dictionaries,
registers (台账), and rules as versioned, audited data (rates, schemes, deadlines, thresholds, roles).
"""
