"""Tests of the REST API at /api/v1 (issue #5)."""
