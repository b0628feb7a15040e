-- genome_ad_aggregates(p_brand_ids text[] default null, p_as_of date default null): one row per ad
-- of p_brand_ids (null = every brand) created up to p_as_of: (ad_id, brand_id, is_imported,
-- created_at, final_status, pre_gen_score, impressions, clicks, conversions, spend, revenue,
-- first_date, last_date, campaign_objective) from its daily rows up to p_as_of (null = all); ads
-- without rows: zero sums, null dates, campaign_objective ''. campaign_objective = the objective of
-- the latest such day that names one. Ordered by ad_id. Reads ad_performance_totals; only ads with
-- days after p_as_of (a refresh back in time) have their days up to p_as_of summed here.
-- Called by: genome/store/postgres.py PostgresStore.ad_aggregates (the refresh's input).
-- Money is summed with `sum(x order by date)`: in date order, one addition after another, whatever
-- the plan (an ordered aggregate is never split over parallel workers), so the same rows give the
-- same bits on every run and on SQLite (genome/store/sqlite_writes.py MoneySum).
-- SECURITY INVOKER, search_path '' (tables written public.<name>); execute for service_role only.
-- Applied by `migrate` after the numbered files, again whenever this file changes. A change of its
-- arguments or return type needs `drop function if exists` of the old signature above the create.

create or replace function public.genome_ad_aggregates(p_brand_ids text[] default null, p_as_of date default null)
returns table (
    ad_id text, brand_id text, is_imported boolean, created_at timestamptz, final_status text,
    pre_gen_score double precision, impressions double precision, clicks double precision,
    conversions double precision, spend double precision, revenue double precision,
    first_date date, last_date date, campaign_objective text
)
language sql stable security invoker
set search_path = '' set timezone = 'UTC'
as $$
    -- an ad's totals when all its days are up to p_as_of; else its days up to p_as_of summed here
    with ads as (
        select a.id, a.brand_id, a.is_imported, a.created_at, a.final_status, a.pre_gen_score
        from public.generated_ads a
        where (p_brand_ids is null or a.brand_id = any (p_brand_ids))
          and (p_as_of is null or a.created_at::date <= p_as_of)
    ), backdated as (
        select p.generated_ad_id,
               sum(p.impressions)::double precision as impressions,
               sum(p.clicks)::double precision as clicks,
               sum(p.conversions)::double precision as conversions,
               sum(p.spend order by p.date) as spend,
               sum(p.revenue order by p.date) as revenue,
               min(p.date) as first_date,
               max(p.date) as last_date,
               (array_agg(p.campaign_objective order by p.date desc)
                   filter (where coalesce(p.campaign_objective, '') <> ''))[1] as campaign_objective
        from ads
        join public.ad_performance_totals t on t.generated_ad_id = ads.id and t.last_date > p_as_of
        join public.ad_performance p on p.generated_ad_id = t.generated_ad_id and p.date <= p_as_of
        group by p.generated_ad_id
    )
    select ads.id, ads.brand_id, ads.is_imported, ads.created_at, ads.final_status, ads.pre_gen_score,
           coalesce(t.impressions::double precision, b.impressions, 0),
           coalesce(t.clicks::double precision, b.clicks, 0),
           coalesce(t.conversions::double precision, b.conversions, 0),
           coalesce(t.spend, b.spend, 0), coalesce(t.revenue, b.revenue, 0),
           coalesce(t.first_date, b.first_date), coalesce(t.last_date, b.last_date),
           coalesce(t.campaign_objective, b.campaign_objective, '')
    from ads
    left join public.ad_performance_totals t
           on t.generated_ad_id = ads.id and (p_as_of is null or t.last_date <= p_as_of)
    left join backdated b on b.generated_ad_id = ads.id
    order by ads.id
$$;

revoke all on function public.genome_ad_aggregates(text[], date) from public, anon, authenticated;
grant execute on function public.genome_ad_aggregates(text[], date) to service_role;
