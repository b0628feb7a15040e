-- Daily rows and element rows are checked against their ad once per statement, not once per row: the
-- per-row foreign key cost an index probe and a row lock per daily row (about half of a 1M-row import).
-- The trigger functions that replace them (functions/genome_refuse_unknown_ads.sql: every ad a statement
-- writes rows for exists, locked like a foreign key locks it; functions/genome_delete_ad_rows.sql:
-- deleting or truncating ads deletes their rows, as `on delete cascade` did) create their triggers.
alter table public.ad_performance drop constraint ad_performance_generated_ad_id_fkey;
alter table public.generated_ad_elements drop constraint generated_ad_elements_generated_ad_id_fkey;
