from tests.store.databases import any_db_url, db_url

__all__ = ["any_db_url", "db_url"]
