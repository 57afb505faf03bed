"""Human labels for topic and stance: scheme, tasks, Label Studio gateway, export, agreement, gold.

Labels never edit a post: they are rows keyed by post_id, joined at release time
(see gold.gold_columns).
"""
