"""Binds every scenario of features/ to the step definitions in tests/steps/.

Each scenario runs in both modes unless `--mode` picks one (see tests/conftest.py).
"""

from __future__ import annotations

import pytest
from pytest_bdd import scenarios

pytestmark = pytest.mark.usefixtures("acceptance_mode")

scenarios("../features")
