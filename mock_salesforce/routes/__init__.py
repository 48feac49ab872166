"""HTTP only: the REST API (data.py) and the org's own control-plane additions (admin.py)."""
