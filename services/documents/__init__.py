"""The papers a case produces: the document kinds as data, what each prints, the shipped templates and office
replacements, DOCX filling, PDF conversion, and the court packet and dossier ZIPs.
"""
