-- 0004_paging.sql — keyset-paged reads and an ad id lookup for REST clients (the supabase backend).
--
-- genome_ad_aggregates and genome_ad_elements (0002) return every row; a REST client reads them
-- 1,000 rows at a time, and because SET search_path keeps them from being inlined, each .range()
-- page recomputed the whole result on the server. The _page variants compute one page: the first
-- p_limit ads after the last key read (keyset paging on the generated_ads primary key), then only
-- their daily rows. Same columns, same rules and same order as their 0002 siblings, so reading
-- every page in turn returns exactly the rows of the unpaged function.
--
-- Same security as 0002/0003: SECURITY INVOKER, SET search_path = '', execute for service_role
-- only (revoked from public, anon and authenticated). Safe to run twice.
--
-- public.genome_ad_aggregates_page(p_brand_ids text[] default null, p_as_of date default null,
--                                  p_after_ad_id text default null, p_limit integer default 1000)
--   returns the columns of genome_ad_aggregates: the rows with ad_id > p_after_ad_id (null = from the
--   first ad), ordered by ad_id, at most p_limit of them (null = all).
--
-- public.genome_ad_elements_page(p_brand_ids text[] default null, p_elements text[] default null,
--                                p_after_ad_id text default null,
--                                p_after_element_name text default null,
--                                p_limit integer default 1000)
--   returns the columns of genome_ad_elements: the rows with (ad_id, element_name) >
--   (p_after_ad_id, p_after_element_name), ordered by ad_id, element_name, at most p_limit of them.
--   p_after_ad_id null = from the first ad; p_after_element_name null = after every element of
--   p_after_ad_id.
--
-- public.genome_known_ad_ids(p_ad_ids text[]) returns setof text
--   The ids of p_ad_ids that are generated_ads, each once, in order. One row per known id, so a
--   REST client sending at most max-rows ids per call gets every answer in one response.

create or replace function public.genome_ad_aggregates_page(
    p_brand_ids text[] default null, p_as_of date default null, p_after_ad_id text default null,
    p_limit integer default 1000
)
returns table (
    ad_id text, brand_id text, is_imported boolean, created_at timestamptz, final_status text,
    pre_gen_score double precision, impressions double precision, clicks double precision,
    conversions double precision, spend double precision, revenue double precision,
    first_date date, last_date date, campaign_objective text
)
language sql stable security invoker
set search_path = '' set timezone = 'UTC'
as $$
    -- ids are never '' (0001 checks it), so '' starts before the first ad; written as one range
    -- condition on the primary key so each page is an index range scan
    with ads as (
        select a.*
        from public.generated_ads a
        where a.id > coalesce(p_after_ad_id, '')
          and (p_brand_ids is null or a.brand_id = any (p_brand_ids))
          and (p_as_of is null or a.created_at::date <= p_as_of)
        order by a.id
        limit p_limit
    ), daily as (
        select p.generated_ad_id,
               sum(p.impressions)::double precision as impressions,
               sum(p.clicks)::double precision as clicks,
               sum(p.conversions)::double precision as conversions,
               sum(p.spend) as spend,
               sum(p.revenue) as revenue,
               min(p.date) as first_date,
               max(p.date) as last_date,
               (array_agg(p.campaign_objective order by p.date desc)
                   filter (where coalesce(p.campaign_objective, '') <> ''))[1] as campaign_objective
        from public.ad_performance p
        join ads on ads.id = p.generated_ad_id
        where p_as_of is null or p.date <= p_as_of
        group by p.generated_ad_id
    )
    select ads.id, ads.brand_id, ads.is_imported, ads.created_at, ads.final_status, ads.pre_gen_score,
           coalesce(daily.impressions, 0), coalesce(daily.clicks, 0), coalesce(daily.conversions, 0),
           coalesce(daily.spend, 0), coalesce(daily.revenue, 0), daily.first_date, daily.last_date,
           coalesce(daily.campaign_objective, '')
    from ads
    left join daily on daily.generated_ad_id = ads.id
    order by ads.id
$$;

create or replace function public.genome_ad_elements_page(
    p_brand_ids text[] default null, p_elements text[] default null, p_after_ad_id text default null,
    p_after_element_name text default null, p_limit integer default 1000
)
returns table (ad_id text, brand_id text, element_name text, element_value text)
language sql stable security invoker
set search_path = ''
as $$
    select a.id, a.brand_id, tag.key, tag.value #>> '{}'
    from public.generated_ads a
    cross join lateral jsonb_each(a.element_tags) as tag
    where a.id >= coalesce(p_after_ad_id, '')
      and (a.id > coalesce(p_after_ad_id, '') or tag.key > p_after_element_name)
      and (p_brand_ids is null or a.brand_id = any (p_brand_ids))
      and (p_elements is null or tag.key = any (p_elements))
      and jsonb_typeof(tag.value) in ('string', 'number', 'boolean')
      and tag.value #>> '{}' <> ''
    order by a.id, tag.key
    limit p_limit
$$;

create or replace function public.genome_known_ad_ids(p_ad_ids text[])
returns setof text
language sql stable security invoker
set search_path = ''
as $$
    select a.id from public.generated_ads a where a.id = any (p_ad_ids) order by a.id
$$;

-- --- function privileges, as in 0003: functions are SECURITY INVOKER, so a caller also needs the
-- table grants (service_role has them; authenticated cannot read generated_ads).
revoke all on function
    public.genome_ad_aggregates_page(text[], date, text, integer),
    public.genome_ad_elements_page(text[], text[], text, text, integer),
    public.genome_known_ad_ids(text[])
    from public, anon, authenticated;
grant execute on function
    public.genome_ad_aggregates_page(text[], date, text, integer),
    public.genome_ad_elements_page(text[], text[], text, text, integer),
    public.genome_known_ad_ids(text[])
    to service_role;
