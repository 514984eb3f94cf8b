"""Telling people: the in-app inbox, group-robot webhooks through a database outbox, and reminders nobody has to
ask for.
"""
