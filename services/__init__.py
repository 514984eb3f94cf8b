"""All domain rules, queries and workflows of Mediation Hub, in one package per part of the domain.

Never imports Streamlit; pages call these and show their domain errors in the user's language.
"""
