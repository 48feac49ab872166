"""HTTP only: the `/api/v1` blueprint and the server-rendered pages."""
