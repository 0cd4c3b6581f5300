"""Batches of packages: queued in the results database, run by a local process pool or a Dask cluster,
resumable after any interruption. `run_item` is the default stage runner."""

from ossprov.batch.run import BatchRequest, BatchSummary, run_batch
from ossprov.batch.runner import run_item

__all__ = ["BatchRequest", "BatchSummary", "run_batch", "run_item"]
