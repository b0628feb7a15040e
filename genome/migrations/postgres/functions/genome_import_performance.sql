-- genome_import_performance(p_rows jsonb, p_started_at timestamptz default null) returns jsonb
--   p_rows: [{"ad_id": text, "date": 'YYYY-MM-DD', "impressions": n, "clicks": n, "conversions": n,
--             "spend": number, "revenue": number, "campaign_objective": text|null}], staged here; or
--   null: the rows were staged already (genome_import_staging, then COPY) in this transaction.
-- Upsert by (ad_id, date) (last duplicate wins), only where something changed (unknown ad -> 23503).
-- The totals (ad_performance_totals) of the ads written: where an ad's written rows are all new days
-- after its totals' last_date (the daily import), carried on from its totals, read as its earliest day
-- (as genome/store/sqlite_writes.py _totals does); otherwise (a corrected or back-filled day, no totals
-- yet) summed again from all its stored days.
-- -> {"inserted": n, "updated": n, "unchanged": n, "job_id": n}, job_type 'import_performance'.
-- Called by: genome/store/postgres.py _write_import (staged by COPY), supabase_requests.import_performance_call.
-- Money is summed with `sum(x order by date)`: in date order, one addition after another, whatever
-- the plan (an ordered aggregate is never split over parallel workers), so the same rows give the
-- same bits on every run and on SQLite (genome/store/sqlite_writes.py MoneySum).
-- Carried on, the stored total comes first: ((total + new day 1) + new day 2) is the same fold as
-- summing every day again, so both ways give the same bits.
-- jit off: compiling the per-ad plans costs more than running them (0.3 s of 3.4 s for a new day of
-- 50,000 ads).
-- Takes the job lock pg_advisory_xact_lock(7240311), so no two jobs interleave.
-- SECURITY INVOKER, search_path '' (tables written public.<name>); execute for service_role only.
-- Applied by `migrate` after the numbered files, again whenever this file changes. A change of its
-- arguments or return type needs `drop function if exists` of the old signature above the create.

create or replace function public.genome_import_performance(p_rows jsonb, p_started_at timestamptz default null)
returns jsonb
language plpgsql volatile security invoker
set search_path = '' set timezone = 'UTC' set jit = off
as $$
declare
    v_counts jsonb;
    v_brand_ids text[];
    v_ads text[];
    v_written text[];
    v_carried boolean[];
    v_job bigint;
begin
    perform pg_advisory_xact_lock(7240311);
    if p_rows is not null then
        perform public.genome_import_staging('import_performance');
        insert into pg_temp.genome_staged_performance
            (ad_id, date, impressions, clicks, conversions, spend, revenue, campaign_objective, ord)
        select r.* from rows from (
            jsonb_to_recordset(p_rows) as (
                ad_id text, date date, impressions double precision, clicks double precision,
                conversions double precision, spend double precision, revenue double precision,
                campaign_objective text)
        ) with ordinality as r (ad_id, date, impressions, clicks, conversions, spend, revenue,
                                campaign_objective, ord);
    end if;
    with incoming as (
        select distinct on (s.ad_id, s.date)
               s.ad_id as generated_ad_id, s.date,
               coalesce(s.impressions, 0)::bigint as impressions,
               coalesce(s.clicks, 0)::bigint as clicks,
               coalesce(s.conversions, 0)::bigint as conversions,
               coalesce(s.spend, 0) as spend,
               coalesce(s.revenue, 0) as revenue,
               nullif(btrim(s.campaign_objective), '') as campaign_objective
        from pg_temp.genome_staged_performance s
        order by s.ad_id, s.date, s.ord desc
    ), classified as (
        select i.*,
               case when p.generated_ad_id is null then 'inserted'
                    when (p.impressions, p.clicks, p.conversions, p.spend, p.revenue, p.campaign_objective)
                         is distinct from (i.impressions, i.clicks, i.conversions, i.spend, i.revenue,
                                           i.campaign_objective) then 'updated'
                    else 'unchanged' end as outcome
        from incoming i
        left join public.ad_performance p on p.generated_ad_id = i.generated_ad_id and p.date = i.date
    ), inserted as (
        insert into public.ad_performance
            (generated_ad_id, date, impressions, clicks, conversions, spend, revenue, campaign_objective)
        select generated_ad_id, date, impressions, clicks, conversions, spend, revenue, campaign_objective
        from classified where outcome = 'inserted'
    ), updated as (
        update public.ad_performance p
           set impressions = c.impressions, clicks = c.clicks, conversions = c.conversions,
               spend = c.spend, revenue = c.revenue, campaign_objective = c.campaign_objective
          from classified c
         where c.outcome = 'updated' and p.generated_ad_id = c.generated_ad_id and p.date = c.date
    ), per_ad as (
        select c.generated_ad_id as id, bool_or(c.outcome <> 'unchanged') as written,
               coalesce(bool_and(c.outcome = 'unchanged' or (c.outcome = 'inserted' and c.date > t.last_date)),
                        false) as carried
        from classified c
        left join public.ad_performance_totals t on t.generated_ad_id = c.generated_ad_id
        group by c.generated_ad_id
    )
    select (select jsonb_build_object(
                       'inserted', count(*) filter (where outcome = 'inserted'),
                       'updated', count(*) filter (where outcome = 'updated'),
                       'unchanged', count(*) filter (where outcome = 'unchanged'))
              from classified),
           coalesce(array_agg(a.id), '{}'),
           coalesce(array_agg(a.id) filter (where a.written), '{}'),
           coalesce(array_agg(a.carried) filter (where a.written), '{}')
      into v_counts, v_ads, v_written, v_carried
      from per_ad a;
    select coalesce(array_agg(distinct a.brand_id), '{}') into v_brand_ids
      from public.generated_ads a where a.id = any(v_ads);

    -- the written ads' totals, one ad at a time (its rows in key order from the primary key): a carried
    -- ad's stored totals as its earliest day, then its days after them; any other ad's stored days
    insert into public.ad_performance_totals as t
        (generated_ad_id, impressions, clicks, conversions, spend, revenue, first_date, last_date,
         campaign_objective)
    select w.id, total.*
    from unnest(v_written, v_carried) as w (id, carried)
    left join public.ad_performance_totals stored on stored.generated_ad_id = w.id and w.carried
    cross join lateral (
        select sum(d.impressions), sum(d.clicks), sum(d.conversions),
               sum(d.spend order by d.date), sum(d.revenue order by d.date),
               coalesce(stored.first_date, min(d.date)), max(d.date),
               coalesce((array_agg(d.campaign_objective order by d.date desc)
                            filter (where coalesce(d.campaign_objective, '') <> ''))[1], '')
        from (
            select stored.last_date as date, stored.impressions, stored.clicks, stored.conversions,
                   stored.spend, stored.revenue, stored.campaign_objective
            where stored.generated_ad_id is not null
            union all
            select p.date, p.impressions, p.clicks, p.conversions, p.spend, p.revenue, p.campaign_objective
            from public.ad_performance p
            where p.generated_ad_id = w.id and p.date > coalesce(stored.last_date, '-infinity')
        ) as d
    ) as total
    on conflict (generated_ad_id) do update
        set impressions = excluded.impressions, clicks = excluded.clicks,
            conversions = excluded.conversions, spend = excluded.spend, revenue = excluded.revenue,
            first_date = excluded.first_date, last_date = excluded.last_date,
            campaign_objective = excluded.campaign_objective;

    v_job := public.genome_record_job('import_performance', v_brand_ids, 'succeeded', p_started_at, v_counts);
    return v_counts || jsonb_build_object('job_id', v_job);
end
$$;

revoke all on function public.genome_import_performance(jsonb, timestamptz) from public, anon, authenticated;
grant execute on function public.genome_import_performance(jsonb, timestamptz) to service_role;
