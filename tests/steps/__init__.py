"""pytest-bdd step definitions for the features in /features, one module per domain.

Registered in tests/conftest.py through `pytest_plugins`. State passes between steps through
fixtures (`world` for the running systems, `target_fixture` for what a step produced).
"""
