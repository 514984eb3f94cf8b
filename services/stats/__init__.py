"""Statistics over the actor's area: the dashboard, KPIs as data, drill-downs to the counted cases, the
statutory reports (信息报送), and the SQL building blocks and scope they share.
"""
