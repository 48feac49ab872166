"""Mock of Marketo Sales Insight Actions: reminder tasks, task-sync settings, the subject template,
the Command Center, its pages, and the `/__admin` control plane.

    app = create_app({"CLOCK": clock})
    sia = get_sia(app)                      # the backend's Python API
    http = sia_session(app, token=ANN_TOKEN)  # requests to https://sia.mock go in-process

    with mock_sia() as sia:                 # or @mock_sia: https://sia.mock goes to a fresh instance
        requests.get("https://sia.mock/api/v1/tasks", headers={"Authorization": f"Bearer {ANN_TOKEN}"})
"""

from mock_sia.app import DEFAULT_BASE_URL, create_app, get_sia, page_password, sia_session
from mock_sia.backend import SiaService
from mock_sia.inprocess import SiaClient, mock_sia, sia_client, token_of
from mock_sia.store import DEFAULT_SERVICE_TOKEN, DEFAULT_USERS

ADMIN_TOKEN = DEFAULT_USERS[0]["api_token"]
ANN_TOKEN = DEFAULT_USERS[1]["api_token"]
SERVICE_TOKEN = DEFAULT_SERVICE_TOKEN

__all__ = [
    "ADMIN_TOKEN",
    "ANN_TOKEN",
    "DEFAULT_BASE_URL",
    "DEFAULT_SERVICE_TOKEN",
    "DEFAULT_USERS",
    "SERVICE_TOKEN",
    "SiaClient",
    "SiaService",
    "create_app",
    "get_sia",
    "mock_sia",
    "page_password",
    "sia_client",
    "sia_session",
    "token_of",
]
