"""The results database: every stage result keyed by (purl, artifact sha256, ossprov version, stage), the
batch job queue, and the shared rate-limit buckets. SQLite by default, PostgreSQL by URL."""

from ossprov.store.database import Store
from ossprov.store.engine import StoreError

__all__ = ["Store", "StoreError"]
