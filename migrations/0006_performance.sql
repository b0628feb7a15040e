-- 0006_performance.sql — an index for the generator hot path.
--
-- generated_ads_brand_status: Store.brand_stats counts a brand's approved and rejected ads (run
-- before every recommend/score/context call); the (brand_id, created_at) index made it fetch every
-- ad row of the brand, this one answers the counts from the index alone.
-- Safe to run twice.

create index if not exists generated_ads_brand_status on public.generated_ads (brand_id, final_status);

-- Not here: genome_ad_aggregates with a lateral per-ad seek for the objective instead of
-- array_agg(... order by date desc). Measured on 1,000,000 rows (one brand) it took 4.9-6.2 s
-- against 4.0-4.2 s for 0002's body on the same database, so 0002's functions stay as they are.
