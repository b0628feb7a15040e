"""What the tests and the benchmark share (never shipped in the wheel): a throwaway PostgreSQL
server (pg_server) and a PostgREST stand-in on a real PostgreSQL database (postgrest)."""
