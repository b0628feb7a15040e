"""Persistence backends behind one Store protocol; `open_store` picks one from the URL."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

from genome.errors import GenomeError
from genome.redaction import is_url, redact_url
from genome.settings import Settings
from genome.store.base import Store

__all__ = ["Store", "open_store", "parse_database_url"]


def parse_database_url(url: str) -> SplitResult:
    """`url` split into its parts; a malformed one (an unbalanced `[`, a port that is not a number)
    raises GenomeError with one line that shows the URL without its credentials."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (parses the port: a malformed one raises here, not deep in a driver)
    except ValueError:  # urllib's reason quotes what it took for a port, which may be the password
        raise GenomeError(
            f"the database URL {redact_url(url)} is malformed: check the port, the brackets around an IPv6"
            " host, and percent-encode / ? # @ : in the user name or password"
        ) from None
    return parts


def open_store(url: str, settings: Settings | None = None, key: str | None = None) -> Store:
    """sqlite:///path -> SqliteStore, postgresql:// or postgres:// -> PostgresStore,
    https://<ref>.supabase.co -> SupabaseStore (needs `key`, else settings.supabase_secret_key).
    A malformed URL raises GenomeError with one line that shows the URL without its password."""
    settings = settings or Settings()
    parts = parse_database_url(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        from genome.store.sqlite import SqliteStore

        return SqliteStore(url, settings)
    if scheme in ("postgresql", "postgres"):
        from genome.store.postgres import PostgresStore

        return PostgresStore(url, settings)
    if scheme == "https" and (parts.hostname or "").endswith(".supabase.co"):
        from genome.store.supabase import SupabaseStore

        return SupabaseStore(url, key or settings.supabase_secret_key, settings)
    shown = (
        f"unsupported database URL {redact_url(url)!r}" if is_url(url) else "the database URL is not a URL"
    )
    raise GenomeError(f"{shown}: use sqlite:///path, postgresql://… or https://<ref>.supabase.co")
