"""Personal data: correction of a party's data, reveals of full numbers, subject access, de-identification of
free text, anonymising old cases (retention) and rotating the data key.
"""
