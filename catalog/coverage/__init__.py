"""The coverage audit (issue #7): the expected inventory, coverage measures, quality, overlap and their outputs.

Entry points: :class:`~catalog.coverage.inventory.InventoryService` (the inventory and its links),
:class:`~catalog.coverage.service.CoverageService` (coverage as of any date, trends, projection, snapshots),
:class:`~catalog.coverage.quality_service.QualityService` and
:class:`~catalog.coverage.overlap_service.OverlapService`, :class:`~catalog.coverage.links.LinkCheckService`
(what ``mulu links check`` found); the outputs live in ``export``, ``workbook`` and ``analysis_export``. See
docs/coverage.md.
"""
