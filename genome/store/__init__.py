"""Persistence backends behind one Store protocol; `open_store` picks one from the URL."""

from __future__ import annotations

from urllib.parse import urlsplit

from genome.errors import GenomeError
from genome.settings import Settings
from genome.store.base import Store

__all__ = ["Store", "open_store"]


def open_store(url: str, settings: Settings | None = None, key: str | None = None) -> Store:
    """sqlite:///path -> SqliteStore, postgresql:// or postgres:// -> PostgresStore,
    https://<ref>.supabase.co -> SupabaseStore (needs `key`, else settings.supabase_secret_key)."""
    settings = settings or Settings()
    scheme = urlsplit(url).scheme.lower()
    if scheme == "sqlite":
        from genome.store.sqlite import SqliteStore

        return SqliteStore(url, settings)
    if scheme in ("postgresql", "postgres"):
        from genome.store.postgres import PostgresStore

        return PostgresStore(url, settings)
    if scheme == "https" and (urlsplit(url).hostname or "").endswith(".supabase.co"):
        from genome.store.supabase import SupabaseStore

        return SupabaseStore(url, key or settings.supabase_secret_key, settings)
    shown = url.split("@")[-1] if "@" in url else url
    raise GenomeError(
        f"unsupported database URL {shown!r}: use sqlite:///path, postgresql://… or https://<ref>.supabase.co"
    )
