"""Migration revisions, one file each, numbered ``NNNN_slug.py``."""
