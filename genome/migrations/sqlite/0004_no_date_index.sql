-- 0004_no_date_index.sql — ad_performance loses its index on date alone. Every read of the daily rows
-- goes through an ad (the primary key (generated_ad_id, date) serves them); the date index only cost
-- each import a second index insert per row (about as much as the rows themselves; bench/README.md).
-- The same change as the Postgres 0006_no_date_index.sql.

drop index if exists ad_performance_date;
