"""Pydantic models and reference facts shared by everything (API, jobs, training, tests)."""
