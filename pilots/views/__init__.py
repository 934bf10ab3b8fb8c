"""Pilot pages under /staff/pilots/, one module per area: `pilots` (list, details, a pilot's
page) and `cycles` (everything that changes a cycle, decisions included)."""
