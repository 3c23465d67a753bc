"""Fixtures of the pipeline tests."""

from pipeline_fakes import fake_steps

__all__ = ["fake_steps"]
