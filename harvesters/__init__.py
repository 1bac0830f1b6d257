"""Harvesters that pull resource descriptors from department systems (built in issue #6)."""
