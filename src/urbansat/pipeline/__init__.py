"""Batch jobs: the whole chain from granules to the T/CI 231 table, exports and report.

:func:`run_job` (:mod:`urbansat.pipeline.job`) runs a job; the steps are in
:mod:`~.steps`, the resumable cache in :mod:`~.cache`, schedulers in :mod:`~.execution`
and the assignment of overpasses to periods in :mod:`~.periods`.
"""

from __future__ import annotations

from urbansat.pipeline.job import JobResult, run_job

__all__ = ["JobResult", "run_job"]
