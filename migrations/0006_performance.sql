-- 0006_performance.sql — indexes and function bodies for the refresh and generator hot paths.
--
-- generated_ads_brand_status: Store.brand_stats counts a brand's approved and rejected ads (run
-- before every recommend/score/context call); the (brand_id, created_at) index made it fetch every
-- ad row of the brand, this one answers the counts from the index alone.
-- Safe to run twice.

create index if not exists generated_ads_brand_status on public.generated_ads (brand_id, final_status);
