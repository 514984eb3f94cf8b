"""The organisation tree and the people in it: organisations, the mediator roster, its import, and the duty
schedule of stationed rooms.
"""
