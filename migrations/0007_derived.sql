-- 0007_derived.sql — ad totals and element rows kept by the imports, read instead of the raw data.
--
-- Why: every refresh read every daily row of a brand (sum per ad, the objective by a sort of each
-- ad's days) and exploded every ad's JSON tags. At 1,000,000 daily rows that was seconds per read,
-- repeated on every refresh although the data changes only at import. As in the SQLite backend
-- (genome/store/sqlite_schema.sql, sqlite_writes.py), two tables now hold what the reads need:
--
-- public.ad_performance_totals: one row per ad with daily rows: the sums of its rows, first_date,
--   last_date, and campaign_objective = the objective of its latest day that has one ('' if none).
--   genome_import_performance rebuilds it exactly (from the stored rows, not by deltas) for the ads
--   whose rows it wrote, in its own transaction.
-- public.generated_ad_elements: one row per (ad, scalar non-empty tag), the value as its JSON text
--   (`#>> '{}'`), keyed (brand_id, element_name, element_value, generated_ad_id) so a brand's ads of
--   each value are one range, plus unique (generated_ad_id, element_name) for ad-ordered reads.
--   genome_import_ads rewrites the rows of the ads it inserted or changed, from their stored tags.
--
-- genome_ad_aggregates(_page) read the totals; only ads whose last_date is after p_as_of (a refresh
-- back in time) have their rows up to p_as_of summed from ad_performance, as 0002 did for all.
-- genome_ad_elements(_page) read the element rows. Signatures, columns, rules, order, paging keys
-- and security (SECURITY INVOKER, search_path '', execute for service_role only) are those of
-- 0002/0004; `create or replace` keeps each function's privileges, re-stated below anyway.
-- The new tables are internal: service_role only, like generated_ads and ad_performance (0003).
--
-- Both tables are filled from the existing data here, under the job lock the imports take, so no
-- import interleaves. Deploy with no import call in flight: one already waiting for the job lock
-- when this commits runs 0002's body and leaves the tables stale (running this file again repairs
-- them). Nothing else may write ad_performance or generated_ads. Safe to run twice.
--
-- Measured on 1,000,000 daily rows, one brand (57,500 ads; medians of 3, loaded 2-core machine):
-- genome_ad_aggregates 2.4 s -> 0.3-0.4 s (as_of before the last days: 2.1 s -> 0.6-0.7 s), every
-- page of it 2.6 s -> 0.6 s, genome_ad_elements 1.0 s -> 0.5-0.7 s, every page of it 15.7 s -> 0.9-1.2 s.
-- The cost moves to the imports: importing the 57,500 new ads 3.1 s -> 13.9 s (402,500 element rows,
-- two indexes), the 1,000,000 rows in chunks of 100,000 about the same (43 s, 42 s); this file's
-- backfill of that database 11-14 s.

create table if not exists public.ad_performance_totals (
    generated_ad_id text primary key references public.generated_ads (id) on delete cascade,
    impressions bigint not null,
    clicks bigint not null,
    conversions bigint not null,
    spend double precision not null,
    revenue double precision not null,
    first_date date not null,
    last_date date not null,
    campaign_objective text not null
);

create table if not exists public.generated_ad_elements (
    brand_id text not null,
    element_name text not null,
    element_value text not null,
    generated_ad_id text not null references public.generated_ads (id) on delete cascade,
    primary key (brand_id, element_name, element_value, generated_ad_id)
);
create unique index if not exists generated_ad_elements_ad
    on public.generated_ad_elements (generated_ad_id, element_name);

-- --- access, as for the other ad tables in 0003: service_role only.
alter table public.ad_performance_totals enable row level security;
alter table public.generated_ad_elements enable row level security;
revoke all on table public.ad_performance_totals, public.generated_ad_elements
    from public, anon, authenticated;
grant select, insert, update, delete on table public.ad_performance_totals, public.generated_ad_elements
    to service_role;
drop policy if exists service_role_all on public.ad_performance_totals;
create policy service_role_all on public.ad_performance_totals
    for all to service_role using (true) with check (true);
drop policy if exists service_role_all on public.generated_ad_elements;
create policy service_role_all on public.generated_ad_elements
    for all to service_role using (true) with check (true);

-- --- backfill: both tables rebuilt from scratch, under the imports' job lock.
select pg_advisory_xact_lock(7240311);

delete from public.ad_performance_totals;
insert into public.ad_performance_totals
    (generated_ad_id, impressions, clicks, conversions, spend, revenue, first_date, last_date,
     campaign_objective)
select p.generated_ad_id, sum(p.impressions), sum(p.clicks), sum(p.conversions), sum(p.spend),
       sum(p.revenue), min(p.date), max(p.date),
       coalesce((array_agg(p.campaign_objective order by p.date desc)
                    filter (where coalesce(p.campaign_objective, '') <> ''))[1], '')
from public.ad_performance p
group by p.generated_ad_id;

delete from public.generated_ad_elements;
insert into public.generated_ad_elements (brand_id, element_name, element_value, generated_ad_id)
select a.brand_id, tag.key, tag.value #>> '{}', a.id
from public.generated_ads a
cross join lateral jsonb_each(a.element_tags) as tag
where jsonb_typeof(tag.value) in ('string', 'number', 'boolean') and tag.value #>> '{}' <> '';

analyze public.ad_performance_totals, public.generated_ad_elements;

-- === reads =========================================================================================

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
               sum(p.spend) as spend,
               sum(p.revenue) as revenue,
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
    cross join lateral (
        -- one row per ad (an aggregate without groups); its days are read only when backdated
        select sum(p.impressions)::double precision as impressions,
               sum(p.clicks)::double precision as clicks,
               sum(p.conversions)::double precision as conversions,
               sum(p.spend) as spend,
               sum(p.revenue) as revenue,
               min(p.date) as first_date,
               max(p.date) as last_date,
               (array_agg(p.campaign_objective order by p.date desc)
                   filter (where coalesce(p.campaign_objective, '') <> ''))[1] as campaign_objective
        from public.ad_performance p
        where t.last_date > p_as_of and p.generated_ad_id = ads.id and p.date <= p_as_of
    ) as b
    order by ads.id
$$;

create or replace function public.genome_ad_elements(p_brand_ids text[] default null, p_elements text[] default null)
returns table (ad_id text, brand_id text, element_name text, element_value text)
language sql stable security invoker
set search_path = ''
as $$
    select e.generated_ad_id, e.brand_id, e.element_name, e.element_value
    from public.generated_ad_elements e
    where (p_brand_ids is null or e.brand_id = any (p_brand_ids))
      and (p_elements is null or e.element_name = any (p_elements))
    order by e.generated_ad_id, e.element_name
$$;

create or replace function public.genome_ad_elements_page(
    p_brand_ids text[] default null, p_elements text[] default null, p_after_ad_id text default null,
    p_after_element_name text default null, p_limit integer default 1000
)
returns table (ad_id text, brand_id text, element_name text, element_value text)
language sql stable security invoker
set search_path = ''
as $$
    -- a range scan of the (generated_ad_id, element_name) index from the last key read
    select e.generated_ad_id, e.brand_id, e.element_name, e.element_value
    from public.generated_ad_elements e
    where e.generated_ad_id >= coalesce(p_after_ad_id, '')
      and (e.generated_ad_id > coalesce(p_after_ad_id, '') or e.element_name > p_after_element_name)
      and (p_brand_ids is null or e.brand_id = any (p_brand_ids))
      and (p_elements is null or e.element_name = any (p_elements))
    order by e.generated_ad_id, e.element_name
    limit p_limit
$$;

-- === writes ========================================================================================
-- 0002's bodies, plus: the ids of the ads written (rows inserted or updated) are collected by the
-- statement that writes them, and the derived rows of exactly those ads are rebuilt afterwards from
-- what is stored (a later statement, so it sees the writes). Unchanged ads keep their rows.

create or replace function public.genome_import_ads(p_ads jsonb, p_started_at timestamptz default null)
returns jsonb
language plpgsql volatile security invoker
set search_path = '' set timezone = 'UTC'
as $$
declare
    v_counts jsonb;
    v_brand_ids text[];
    v_written text[];
    v_job bigint;
begin
    perform pg_advisory_xact_lock(7240311);
    select coalesce(array_agg(distinct e.value ->> 'brand_id'), '{}')
      into v_brand_ids
      from jsonb_array_elements(coalesce(p_ads, '[]'::jsonb)) as e (value);
    insert into public.brands (id, name)
    select brand_id, brand_id from unnest(v_brand_ids) as brand_id
    on conflict (id) do nothing;

    with incoming as (
        select distinct on (r.ad_id)
               r.ad_id as id,
               r.brand_id,
               case jsonb_typeof(r.element_tags)
                   when 'object' then r.element_tags
                   when 'string' then (r.element_tags #>> '{}')::jsonb
                   else '{}'::jsonb end as element_tags,
               r.pre_gen_score,
               coalesce(r.final_status, 'pending') as final_status,
               coalesce(r.is_imported, false) as is_imported,
               coalesce(r.created_at, now()) as created_at
        from rows from (
            jsonb_to_recordset(coalesce(p_ads, '[]'::jsonb)) as (
                ad_id text, brand_id text, element_tags jsonb, pre_gen_score double precision,
                final_status text, is_imported boolean, created_at timestamptz)
        ) with ordinality as r (ad_id, brand_id, element_tags, pre_gen_score, final_status, is_imported,
                                created_at, ord)
        order by r.ad_id, r.ord desc
    ), classified as (
        select i.*,
               case when a.id is null then 'inserted'
                    when (a.brand_id, a.element_tags, a.pre_gen_score, a.final_status, a.is_imported,
                          a.created_at)
                         is distinct from (i.brand_id, i.element_tags, i.pre_gen_score, i.final_status,
                                           i.is_imported, i.created_at) then 'updated'
                    else 'unchanged' end as outcome
        from incoming i
        left join public.generated_ads a on a.id = i.id
    ), written as (
        insert into public.generated_ads as a
            (id, brand_id, element_tags, pre_gen_score, final_status, is_imported, created_at)
        select id, brand_id, element_tags, pre_gen_score, final_status, is_imported, created_at
        from classified where outcome <> 'unchanged'
        on conflict (id) do update
            set brand_id = excluded.brand_id, element_tags = excluded.element_tags,
                pre_gen_score = excluded.pre_gen_score, final_status = excluded.final_status,
                is_imported = excluded.is_imported, created_at = excluded.created_at
    )
    select jsonb_build_object(
               'inserted', count(*) filter (where outcome = 'inserted'),
               'updated', count(*) filter (where outcome = 'updated'),
               'unchanged', count(*) filter (where outcome = 'unchanged')),
           coalesce(array_agg(id) filter (where outcome <> 'unchanged'), '{}')
      into v_counts, v_written
      from classified;

    -- the written ads' element rows, from their stored tags and brand
    delete from public.generated_ad_elements e
     where e.generated_ad_id in (select unnest(v_written));
    insert into public.generated_ad_elements (brand_id, element_name, element_value, generated_ad_id)
    select a.brand_id, tag.key, tag.value #>> '{}', a.id
    from public.generated_ads a
    cross join lateral jsonb_each(a.element_tags) as tag
    where a.id in (select unnest(v_written))
      and jsonb_typeof(tag.value) in ('string', 'number', 'boolean') and tag.value #>> '{}' <> '';

    v_job := public.genome_record_job('import_ads', v_brand_ids, 'succeeded', p_started_at, v_counts);
    return v_counts || jsonb_build_object('job_id', v_job);
end
$$;

create or replace function public.genome_import_performance(p_rows jsonb, p_started_at timestamptz default null)
returns jsonb
language plpgsql volatile security invoker
set search_path = '' set timezone = 'UTC'
as $$
declare
    v_counts jsonb;
    v_brand_ids text[];
    v_written text[];
    v_job bigint;
begin
    perform pg_advisory_xact_lock(7240311);
    with incoming as (
        select distinct on (r.ad_id, r.date)
               r.ad_id as generated_ad_id, r.date,
               coalesce(r.impressions, 0)::bigint as impressions,
               coalesce(r.clicks, 0)::bigint as clicks,
               coalesce(r.conversions, 0)::bigint as conversions,
               coalesce(r.spend, 0) as spend,
               coalesce(r.revenue, 0) as revenue,
               nullif(btrim(r.campaign_objective), '') as campaign_objective
        from rows from (
            jsonb_to_recordset(coalesce(p_rows, '[]'::jsonb)) as (
                ad_id text, date date, impressions numeric, clicks numeric, conversions numeric,
                spend double precision, revenue double precision, campaign_objective text)
        ) with ordinality as r (ad_id, date, impressions, clicks, conversions, spend, revenue,
                                campaign_objective, ord)
        order by r.ad_id, r.date, r.ord desc
    ), classified as (
        select i.*,
               case when p.generated_ad_id is null then 'inserted'
                    when (p.impressions, p.clicks, p.conversions, p.spend, p.revenue, p.campaign_objective)
                         is distinct from (i.impressions, i.clicks, i.conversions, i.spend, i.revenue,
                                           i.campaign_objective) then 'updated'
                    else 'unchanged' end as outcome
        from incoming i
        left join public.ad_performance p on p.generated_ad_id = i.generated_ad_id and p.date = i.date
    ), written as (
        insert into public.ad_performance as p
            (generated_ad_id, date, impressions, clicks, conversions, spend, revenue, campaign_objective)
        select generated_ad_id, date, impressions, clicks, conversions, spend, revenue, campaign_objective
        from classified where outcome <> 'unchanged'
        on conflict (generated_ad_id, date) do update
            set impressions = excluded.impressions, clicks = excluded.clicks,
                conversions = excluded.conversions, spend = excluded.spend, revenue = excluded.revenue,
                campaign_objective = excluded.campaign_objective
    )
    select jsonb_build_object(
               'inserted', count(*) filter (where outcome = 'inserted'),
               'updated', count(*) filter (where outcome = 'updated'),
               'unchanged', count(*) filter (where outcome = 'unchanged')),
           (select array_agg(distinct a.brand_id) from public.generated_ads a
             where a.id in (select c.generated_ad_id from classified c)),
           coalesce(array_agg(distinct generated_ad_id) filter (where outcome <> 'unchanged'), '{}')
      into v_counts, v_brand_ids, v_written
      from classified;

    -- the written ads' totals, from all their stored rows (every such ad has rows now)
    insert into public.ad_performance_totals as t
        (generated_ad_id, impressions, clicks, conversions, spend, revenue, first_date, last_date,
         campaign_objective)
    select p.generated_ad_id, sum(p.impressions), sum(p.clicks), sum(p.conversions), sum(p.spend),
           sum(p.revenue), min(p.date), max(p.date),
           coalesce((array_agg(p.campaign_objective order by p.date desc)
                        filter (where coalesce(p.campaign_objective, '') <> ''))[1], '')
    from public.ad_performance p
    where p.generated_ad_id in (select unnest(v_written))
    group by p.generated_ad_id
    on conflict (generated_ad_id) do update
        set impressions = excluded.impressions, clicks = excluded.clicks,
            conversions = excluded.conversions, spend = excluded.spend, revenue = excluded.revenue,
            first_date = excluded.first_date, last_date = excluded.last_date,
            campaign_objective = excluded.campaign_objective;

    v_job := public.genome_record_job('import_performance', coalesce(v_brand_ids, '{}'), 'succeeded',
                                      p_started_at, v_counts);
    return v_counts || jsonb_build_object('job_id', v_job);
end
$$;

-- --- function privileges as 0003/0004 set them (create or replace keeps them; re-stated so this
-- file alone leaves them right).
revoke all on function
    public.genome_ad_aggregates(text[], date),
    public.genome_ad_aggregates_page(text[], date, text, integer),
    public.genome_ad_elements(text[], text[]),
    public.genome_ad_elements_page(text[], text[], text, text, integer),
    public.genome_import_ads(jsonb, timestamptz),
    public.genome_import_performance(jsonb, timestamptz)
    from public, anon, authenticated;
grant execute on function
    public.genome_ad_aggregates(text[], date),
    public.genome_ad_aggregates_page(text[], date, text, integer),
    public.genome_ad_elements(text[], text[]),
    public.genome_ad_elements_page(text[], text[], text, text, integer),
    public.genome_import_ads(jsonb, timestamptz),
    public.genome_import_performance(jsonb, timestamptz)
    to service_role;
