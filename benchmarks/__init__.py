"""Benchmarks of the reference sync engine against the in-process mocks. They print figures; no asserts."""
