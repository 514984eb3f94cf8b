"""The resident's way in: the public intake pipeline of named stages, its form, the staff queue of submitted
cases, tracking codes with the public /track look-up, and the QR posters that lead to the form.
"""
