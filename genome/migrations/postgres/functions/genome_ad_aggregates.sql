-- genome_ad_aggregates(p_brand_ids text[] default null, p_as_of date default null,
--                      p_after_ad_id text default null, p_limit integer default null)
-- One row per ad of p_brand_ids (null = every brand) created up to p_as_of: (ad_id, brand_id,
-- is_imported, created_at, final_status, pre_gen_score, impressions, clicks, conversions, spend,
-- revenue, first_date, last_date, campaign_objective) from its daily rows up to p_as_of (null = all);
-- ads without rows: zero sums, null dates, campaign_objective ''. campaign_objective = the objective of
-- the latest such day that names one. Ordered by ad_id; only ads after p_after_ad_id (null = from the
-- first), at most p_limit (null = all): keyset paging for REST clients, each page costing its own ads.
-- Reads ad_performance_totals; only ads with days after p_as_of (a refresh back in time) have their
-- days up to p_as_of summed here.
-- Called by: genome/store/postgres.py PostgresStore.ad_aggregates (every ad at once, the refresh's
-- input) and supabase_requests.ad_aggregates_read (the supabase backend, .rpc, a page at a time).
-- Money is summed with `sum(x order by date)`: in date order, one addition after another, whatever
-- the plan (an ordered aggregate is never split over parallel workers), so the same rows give the
-- same bits on every run and on SQLite (genome/store/sqlite_writes.py MoneySum).
-- jit off: compiling the per-ad plan costs more than running it (0.2-0.5 s at 60,000 ads).
-- SECURITY INVOKER, search_path '' (tables written public.<name>); execute for service_role only.
-- Applied by `migrate` after the numbered files, again whenever this file changes. A change of its
-- arguments or return type needs `drop function if exists` of the old signature above the create.

-- one body for both readers (genome_ad_aggregates_page was the paged copy of this rule)
drop function if exists public.genome_ad_aggregates(text[], date);
drop function if exists public.genome_ad_aggregates_page(text[], date, text, integer);

create or replace function public.genome_ad_aggregates(
    p_brand_ids text[] default null, p_as_of date default null, p_after_ad_id text default null,
    p_limit integer default null
)
returns table (
    ad_id text, brand_id text, is_imported boolean, created_at timestamptz, final_status text,
    pre_gen_score double precision, impressions double precision, clicks double precision,
    conversions double precision, spend double precision, revenue double precision,
    first_date date, last_date date, campaign_objective text
)
language sql stable security invoker
set search_path = '' set timezone = 'UTC' set jit = off
as $$
    -- the page's ads by one range condition on the primary key (ids are never ''); then per ad a
    -- seek for its totals, or (backdated: last_date after p_as_of) for its days up to p_as_of on the
    -- (ad, date) key: a page costs its own ads, never a scan of the totals.
    with ads as (
        select a.id, a.brand_id, a.is_imported, a.created_at, a.final_status, a.pre_gen_score
        from public.generated_ads a
        where a.id > coalesce(p_after_ad_id, '')
          and (p_brand_ids is null or a.brand_id = any (p_brand_ids))
          and (p_as_of is null or a.created_at::date <= p_as_of)
        order by a.id
        limit p_limit
    )
    select ads.id, ads.brand_id, ads.is_imported, ads.created_at, ads.final_status, ads.pre_gen_score,
           case when t.last_date > p_as_of then coalesce(b.impressions, 0)
                else coalesce(t.impressions::double precision, 0) end,
           case when t.last_date > p_as_of then coalesce(b.clicks, 0)
                else coalesce(t.clicks::double precision, 0) end,
           case when t.last_date > p_as_of then coalesce(b.conversions, 0)
                else coalesce(t.conversions::double precision, 0) end,
           case when t.last_date > p_as_of then coalesce(b.spend, 0) else coalesce(t.spend, 0) end,
           case when t.last_date > p_as_of then coalesce(b.revenue, 0) else coalesce(t.revenue, 0) end,
           case when t.last_date > p_as_of then b.first_date else t.first_date end,
           case when t.last_date > p_as_of then b.last_date else t.last_date end,
           coalesce(case when t.last_date > p_as_of then b.campaign_objective
                         else t.campaign_objective end, '')
    from ads
    left join lateral (
        -- offset 0 keeps this a seek per ad: as a plain join it may hash the whole table
        select t.last_date, t.first_date, t.impressions, t.clicks, t.conversions, t.spend, t.revenue,
               t.campaign_objective
        from public.ad_performance_totals t where t.generated_ad_id = ads.id offset 0
    ) as t on true
    left join lateral (
        -- a row only for a backdated ad with days up to p_as_of: grouped, so no other ad sets up
        -- the ordered sums (a group-less aggregate would, once per ad: a quarter of the read)
        select sum(p.impressions)::double precision as impressions,
               sum(p.clicks)::double precision as clicks,
               sum(p.conversions)::double precision as conversions,
               sum(p.spend order by p.date) as spend,
               sum(p.revenue order by p.date) as revenue,
               min(p.date) as first_date,
               max(p.date) as last_date,
               (array_agg(p.campaign_objective order by p.date desc)
                   filter (where coalesce(p.campaign_objective, '') <> ''))[1] as campaign_objective
        from public.ad_performance p
        where t.last_date > p_as_of and p.generated_ad_id = ads.id and p.date <= p_as_of
        group by p.generated_ad_id
    ) as b on true
    order by ads.id
$$;

revoke all on function public.genome_ad_aggregates(text[], date, text, integer) from public, anon, authenticated;
grant execute on function public.genome_ad_aggregates(text[], date, text, integer) to service_role;
