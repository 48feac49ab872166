"""Tests of the SIA mock (a package, so its conftest never shadows another as `conftest`)."""
