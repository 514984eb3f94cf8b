"""The ground every package stands on: settings, database engines and units of work, domain errors, the message
catalogue, the audit log, migrations, backups, China time, text escaping, rate limits, reference data and the
start-up checks.
"""
