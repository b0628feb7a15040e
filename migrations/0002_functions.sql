-- 0002_functions.sql — the SQL functions every Postgres client shares (postgres backend via psycopg,
-- supabase backend via .rpc()). Aggregation and multi-row writes live here once.
--
-- All functions: language plpgsql/sql, SECURITY INVOKER, SET search_path = '' (tables are written
-- public.<name>). Jobs take pg_advisory_xact_lock(7240311) so two jobs never interleave.
-- Errors a client maps: SQLSTATE P0002 -> NotFound, 55000 -> GenomeError (alert already resolved),
-- 22023 -> bad argument; anything else -> StoreError(code).
--
-- JSON conventions for every jsonb payload (build with genome.store.frames.to_json_records):
--   numbers as JSON numbers (NaN/None -> null), text as strings, bools as true/false,
--   dates 'YYYY-MM-DD', timestamps ISO 8601 ('2026-11-26T14:00:00Z'; no zone = UTC).
--   Counts and ids may be sent as 500 or 500.0 (pandas turns an int column with a gap into floats).
--
-- ---------------------------------------------------------------------------------------------------
-- READ functions (set-returning; rows ordered deterministically so .range() paging is stable)
--
-- public.genome_ad_aggregates(p_brand_ids text[] default null, p_as_of date default null)
--   returns table(ad_id text, brand_id text, is_imported boolean, created_at timestamptz,
--                 final_status text, pre_gen_score double precision,
--                 impressions double precision, clicks double precision, conversions double precision,
--                 spend double precision, revenue double precision,
--                 first_date date, last_date date, campaign_objective text)
--   One row per ad of p_brand_ids (null = every brand) from ad_performance rows with date <= p_as_of
--   (null = no date limit); ads without rows: zero counts, null dates, campaign_objective ''.
--   campaign_objective = the objective of the latest day that has one. Ordered by ad_id.
--
-- public.genome_ad_elements(p_brand_ids text[] default null, p_elements text[] default null)
--   returns table(ad_id text, brand_id text, element_name text, element_value text)
--   generated_ads.element_tags exploded; only keys in p_elements (null = all), scalar non-null,
--   non-empty values (numbers/bools as their JSON text). Ordered by ad_id, element_name.
--
-- public.genome_brand_overview(p_winner_threshold double precision default 0.7)
--   returns table(brand_id text, name text, organization_id text, ads bigint, matured_ads bigint,
--                 approved bigint, rejected bigint, open_alerts bigint,
--                 winner_rate double precision, last_refresh timestamptz)
--   matured_ads = rewards of the brand; winner_rate = share of them with reward_score >= threshold
--   (null when none); open_alerts = unresolved (open or acknowledged); last_refresh = finished_at of
--   the latest succeeded refresh job whose summary.brand_ids holds the brand. Ordered by brand_id.
--
-- ---------------------------------------------------------------------------------------------------
-- WRITE functions (each call = one transaction; each records its genome_job_runs row). Their
-- data-modifying CTEs run to completion whether or not the final select reads them.
--
-- public.genome_save_brands(p_brands jsonb) returns integer            -- rows written
--   p_brands: [{"id": text, "name": text, "organization_id": text|null,
--               "cross_brand_sharing": bool|null (false), "created_at": ts|null (now)}]
--   Upsert by id (created_at of an existing brand is kept). Not a job.
--
-- public.genome_import_ads(p_ads jsonb, p_started_at timestamptz default null) returns jsonb
--   p_ads: [{"ad_id": text, "brand_id": text, "element_tags": object | JSON text,
--            "pre_gen_score": number|null, "final_status": text, "is_imported": bool,
--            "created_at": ts}]
--   Upsert by ad_id (last duplicate wins); unknown brands are created (name = id).
--   -> {"inserted": n, "updated": n, "unchanged": n, "job_id": n}   job_type 'import_ads'
--
-- public.genome_import_performance(p_rows jsonb, p_started_at timestamptz default null) returns jsonb
--   p_rows: [{"ad_id": text, "date": 'YYYY-MM-DD', "impressions": n, "clicks": n, "conversions": n,
--             "spend": number, "revenue": number, "campaign_objective": text|null}]
--   Upsert by (ad_id, date). Unknown ad -> 23503.
--   -> {"inserted": n, "updated": n, "unchanged": n, "job_id": n}   job_type 'import_performance'
--
-- public.genome_apply_refresh(p_brand_ids text[], p_as_of date, p_rewards jsonb, p_scores jsonb,
--                             p_summary jsonb default '{}', p_started_at timestamptz default null)
--   returns jsonb
--   p_brand_ids: the refreshed brands (resolved: never null). p_rewards (the rewards frame):
--     [{"ad_id", "brand_id", "reward_score", "ctr", "conversion_rate", "roas", "ctr_score",
--       "conversion_score", "roas_score", "ctr_weight", "conversion_weight", "roas_weight",
--       "campaign_objective", "maturity", "impressions_at_maturity", "matured_at": 'YYYY-MM-DD'}]
--   p_scores (the scores frame, complete for the refreshed brands):
--     [{"brand_id", "element_name", "element_value", "alpha", "beta", "prior_alpha", "prior_beta",
--       "prior_source", "total_observations", "mean_reward"}]
--   Rewards upserted by ad only where changed (computed_at kept otherwise); rewards of refreshed
--   brands absent from p_rewards are deleted. Scores of refreshed brands: upsert where changed
--   (last_updated kept otherwise), absent ones deleted. History snapshot (brand, element, value,
--   p_as_of) upserted where changed, absent ones of that as_of deleted.
--   -> p_summary || {"job_id", "brand_ids", "as_of", "rewards_new", "rewards_updated",
--      "rewards_unchanged", "rewards_removed", "scores", "elements_updated", "duration_seconds"}
--   job_type 'refresh' (brand_id = the brand when exactly one, else null).
--
-- public.genome_apply_validation(p_brand_ids text[], p_as_of date, p_metrics jsonb, p_actions jsonb,
--                                p_summary jsonb default '{}', p_started_at timestamptz default null)
--   returns jsonb
--   p_metrics: [{"brand_id", "metric_name", "metric_value": number|null, "warning", "critical"}]
--     upserted into health_metric_history by (brand_id, metric_name, p_as_of).
--   p_actions: [{"action": 'open'|'update'|'resolve', "alert_id": int|null, "brand_id",
--                "alert_type", "severity": 'warning'|'critical', "metric_value", "threshold_value",
--                "message"}]
--     open: new alert (if one is already unresolved for (brand, type) it is updated instead);
--     update: last_seen_at = now, occurrences + 1, severity only escalates, value/threshold/message;
--     resolve: status 'resolved', resolved_by 'system', resolution_note = message.
--   -> p_summary || {"job_id", "brand_ids", "as_of", "metrics", "alerts_opened", "alerts_updated",
--      "alerts_resolved", "duration_seconds"}   job_type 'validate'
--
-- public.genome_set_alert_status(p_alert_id bigint, p_status text, p_by text, p_note text default '',
--                                p_at timestamptz default null) returns jsonb
--   p_status 'acknowledged' (from open or acknowledged) or 'resolved' (from open or acknowledged).
--   -> the updated system_alerts row as a JSON object.  P0002 if missing, 55000 if already resolved.
--
-- public.genome_record_job(p_job_type text, p_brand_ids text[], p_status text,
--                          p_started_at timestamptz, p_summary jsonb default '{}',
--                          p_error text default null) returns bigint          -- the job id
--   For a job that failed after its transaction rolled back (status 'failed', error recorded).
-- ---------------------------------------------------------------------------------------------------

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
    with ads as (
        select a.*
        from public.generated_ads a
        where (p_brand_ids is null or a.brand_id = any (p_brand_ids))
          and (p_as_of is null or a.created_at::date <= p_as_of)
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

create or replace function public.genome_ad_elements(p_brand_ids text[] default null, p_elements text[] default null)
returns table (ad_id text, brand_id text, element_name text, element_value text)
language sql stable security invoker
set search_path = ''
as $$
    select a.id, a.brand_id, tag.key, tag.value #>> '{}'
    from public.generated_ads a
    cross join lateral jsonb_each(a.element_tags) as tag
    where (p_brand_ids is null or a.brand_id = any (p_brand_ids))
      and (p_elements is null or tag.key = any (p_elements))
      and jsonb_typeof(tag.value) in ('string', 'number', 'boolean')
      and tag.value #>> '{}' <> ''
    order by a.id, tag.key
$$;

create or replace function public.genome_brand_overview(p_winner_threshold double precision default 0.7)
returns table (
    brand_id text, name text, organization_id text, ads bigint, matured_ads bigint, approved bigint,
    rejected bigint, open_alerts bigint, winner_rate double precision, last_refresh timestamptz
)
language sql stable security invoker
set search_path = ''
as $$
    with ad_counts as (
        select a.brand_id, count(*) as ads,
               count(*) filter (where a.final_status = 'approved') as approved,
               count(*) filter (where a.final_status = 'rejected') as rejected
        from public.generated_ads a group by a.brand_id
    ), reward_counts as (
        select r.brand_id, count(*) as matured,
               count(*) filter (where r.reward_score >= p_winner_threshold) as winners
        from public.creative_element_rewards r group by r.brand_id
    ), alert_counts as (
        select s.brand_id, count(*) as unresolved
        from public.system_alerts s where s.status <> 'resolved' group by s.brand_id
    ), refreshes as (
        select refreshed.brand_id, max(j.finished_at) as last_refresh
        from public.genome_job_runs j
        cross join lateral jsonb_array_elements_text(
            case when jsonb_typeof(j.summary -> 'brand_ids') = 'array' then j.summary -> 'brand_ids'
                 else '[]'::jsonb end
        ) as refreshed (brand_id)
        where j.job_type = 'refresh' and j.status = 'succeeded'
        group by refreshed.brand_id
    )
    select b.id, b.name, b.organization_id,
           coalesce(ad_counts.ads, 0), coalesce(reward_counts.matured, 0),
           coalesce(ad_counts.approved, 0), coalesce(ad_counts.rejected, 0),
           coalesce(alert_counts.unresolved, 0),
           reward_counts.winners::double precision / nullif(reward_counts.matured, 0),
           refreshes.last_refresh
    from public.brands b
    left join ad_counts on ad_counts.brand_id = b.id
    left join reward_counts on reward_counts.brand_id = b.id
    left join alert_counts on alert_counts.brand_id = b.id
    left join refreshes on refreshes.brand_id = b.id
    order by b.id
$$;

-- === writes ========================================================================================

create or replace function public.genome_record_job(
    p_job_type text, p_brand_ids text[], p_status text, p_started_at timestamptz,
    p_summary jsonb default '{}', p_error text default null
) returns bigint
language sql volatile security invoker
set search_path = ''
as $$
    insert into public.genome_job_runs (job_type, brand_id, started_at, finished_at, status, summary, error)
    values (
        p_job_type,
        case when cardinality(p_brand_ids) = 1 then p_brand_ids[1] end,
        coalesce(p_started_at, now()),
        clock_timestamp(),
        p_status,
        coalesce(p_summary, '{}'::jsonb)
            || case when p_brand_ids is null then '{}'::jsonb
                    else jsonb_build_object('brand_ids', to_jsonb(p_brand_ids)) end,
        p_error
    )
    returning id
$$;

create or replace function public.genome_save_brands(p_brands jsonb)
returns integer
language plpgsql volatile security invoker
set search_path = '' set timezone = 'UTC'
as $$
declare
    v_written integer;
begin
    insert into public.brands as b (id, name, organization_id, cross_brand_sharing, created_at)
    select distinct on (e.value ->> 'id')
           e.value ->> 'id',
           coalesce(nullif(e.value ->> 'name', ''), e.value ->> 'id'),
           nullif(e.value ->> 'organization_id', ''),
           coalesce((e.value ->> 'cross_brand_sharing')::boolean, false),
           coalesce((e.value ->> 'created_at')::timestamptz, now())
    from jsonb_array_elements(coalesce(p_brands, '[]'::jsonb)) with ordinality as e (value, ord)
    order by e.value ->> 'id', e.ord desc
    on conflict (id) do update
        set name = excluded.name,
            organization_id = excluded.organization_id,
            cross_brand_sharing = excluded.cross_brand_sharing
        where (b.name, b.organization_id, b.cross_brand_sharing)
              is distinct from (excluded.name, excluded.organization_id, excluded.cross_brand_sharing);
    get diagnostics v_written = row_count;
    return v_written;
end
$$;

create or replace function public.genome_import_ads(p_ads jsonb, p_started_at timestamptz default null)
returns jsonb
language plpgsql volatile security invoker
set search_path = '' set timezone = 'UTC'
as $$
declare
    v_counts jsonb;
    v_brand_ids text[];
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
               'unchanged', count(*) filter (where outcome = 'unchanged'))
      into v_counts
      from classified;

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
             where a.id in (select c.generated_ad_id from classified c))
      into v_counts, v_brand_ids
      from classified;

    v_job := public.genome_record_job('import_performance', coalesce(v_brand_ids, '{}'), 'succeeded',
                                      p_started_at, v_counts);
    return v_counts || jsonb_build_object('job_id', v_job);
end
$$;

create or replace function public.genome_apply_refresh(
    p_brand_ids text[], p_as_of date, p_rewards jsonb, p_scores jsonb,
    p_summary jsonb default '{}', p_started_at timestamptz default null
) returns jsonb
language plpgsql volatile security invoker
set search_path = '' set timezone = 'UTC'
as $$
declare
    v_job bigint;
    v_new bigint; v_updated bigint; v_unchanged bigint; v_removed bigint;
    v_scores bigint; v_elements_updated bigint;
    v_summary jsonb;
begin
    if p_brand_ids is null or p_as_of is null then
        raise exception using errcode = '22023', message = 'p_brand_ids and p_as_of are required';
    end if;
    perform pg_advisory_xact_lock(7240311);
    insert into public.genome_job_runs (job_type, brand_id, started_at, status)
    values ('refresh', case when cardinality(p_brand_ids) = 1 then p_brand_ids[1] end,
            coalesce(p_started_at, now()), 'running')
    returning id into v_job;

    -- rewards: upsert by ad where anything changed (computed_at kept otherwise)
    with incoming as (
        select r.ad_id, a.brand_id, r.reward_score,
               jsonb_build_object(
                   'ctr', r.ctr, 'conversion_rate', r.conversion_rate, 'roas', r.roas,
                   'ctr_score', r.ctr_score, 'conversion_score', r.conversion_score,
                   'roas_score', r.roas_score, 'ctr_weight', r.ctr_weight,
                   'conversion_weight', r.conversion_weight, 'roas_weight', r.roas_weight
               ) as reward_components,
               coalesce(r.campaign_objective, '') as campaign_objective,
               r.maturity,
               coalesce(r.impressions_at_maturity, 0)::bigint as impressions_at_maturity,
               r.matured_at
        from jsonb_to_recordset(coalesce(p_rewards, '[]'::jsonb)) as r (
            ad_id text, reward_score double precision, ctr double precision,
            conversion_rate double precision, roas double precision, ctr_score double precision,
            conversion_score double precision, roas_score double precision, ctr_weight double precision,
            conversion_weight double precision, roas_weight double precision, campaign_objective text,
            maturity text, impressions_at_maturity numeric, matured_at date
        )
        join public.generated_ads a on a.id = r.ad_id and a.brand_id = any (p_brand_ids)
    ), classified as (
        select i.*,
               case when c.generated_ad_id is null then 'new'
                    when (c.brand_id, c.reward_score, c.reward_components, c.campaign_objective, c.maturity,
                          c.impressions_at_maturity, c.matured_at)
                         is distinct from (i.brand_id, i.reward_score, i.reward_components,
                                           i.campaign_objective, i.maturity, i.impressions_at_maturity,
                                           i.matured_at) then 'updated'
                    else 'unchanged' end as outcome
        from incoming i
        left join public.creative_element_rewards c on c.generated_ad_id = i.ad_id
    ), written as (
        insert into public.creative_element_rewards as c
            (generated_ad_id, brand_id, reward_score, reward_components, campaign_objective, maturity,
             impressions_at_maturity, matured_at, computed_at)
        select ad_id, brand_id, reward_score, reward_components, campaign_objective, maturity,
               impressions_at_maturity, matured_at, now()
        from classified where outcome <> 'unchanged'
        on conflict (generated_ad_id) do update
            set brand_id = excluded.brand_id, reward_score = excluded.reward_score,
                reward_components = excluded.reward_components,
                campaign_objective = excluded.campaign_objective, maturity = excluded.maturity,
                impressions_at_maturity = excluded.impressions_at_maturity,
                matured_at = excluded.matured_at, computed_at = excluded.computed_at
    )
    select count(*) filter (where outcome = 'new'), count(*) filter (where outcome = 'updated'),
           count(*) filter (where outcome = 'unchanged')
      into v_new, v_updated, v_unchanged
      from classified;

    delete from public.creative_element_rewards c
     where c.brand_id = any (p_brand_ids)
       and not exists (
           select 1 from jsonb_to_recordset(coalesce(p_rewards, '[]'::jsonb)) as r (ad_id text)
            where r.ad_id = c.generated_ad_id);
    get diagnostics v_removed = row_count;

    -- scores: the complete new set of the refreshed brands (unchanged rows keep last_updated), and
    -- the history snapshot per (brand, element, value, as_of): the latest refresh of that day wins.
    -- One statement: every part sees the same snapshot and they touch disjoint rows.
    with incoming as (
        select s.brand_id, s.element_name, s.element_value, s.alpha, s.beta,
               coalesce(s.prior_alpha, 1) as prior_alpha, coalesce(s.prior_beta, 1) as prior_beta,
               coalesce(s.prior_source, 'uniform') as prior_source,
               coalesce(s.total_observations, 0) as total_observations, s.mean_reward
        from jsonb_to_recordset(coalesce(p_scores, '[]'::jsonb)) as s (
            brand_id text, element_name text, element_value text, alpha double precision,
            beta double precision, prior_alpha double precision, prior_beta double precision,
            prior_source text, total_observations double precision, mean_reward double precision
        )
        where s.brand_id = any (p_brand_ids)
    ), scores_written as (
        insert into public.creative_element_scores as s
            (brand_id, element_name, element_value, alpha, beta, prior_alpha, prior_beta, prior_source,
             total_observations, mean_reward, last_updated)
        select brand_id, element_name, element_value, alpha, beta, prior_alpha, prior_beta, prior_source,
               total_observations, mean_reward, now()
        from incoming
        on conflict (brand_id, element_name, element_value) do update
            set alpha = excluded.alpha, beta = excluded.beta, prior_alpha = excluded.prior_alpha,
                prior_beta = excluded.prior_beta, prior_source = excluded.prior_source,
                total_observations = excluded.total_observations, mean_reward = excluded.mean_reward,
                last_updated = excluded.last_updated
            where (s.alpha, s.beta, s.prior_alpha, s.prior_beta, s.prior_source, s.total_observations,
                   s.mean_reward)
                  is distinct from (excluded.alpha, excluded.beta, excluded.prior_alpha,
                                    excluded.prior_beta, excluded.prior_source,
                                    excluded.total_observations, excluded.mean_reward)
        returning 1
    ), scores_removed as (
        delete from public.creative_element_scores s
         where s.brand_id = any (p_brand_ids)
           and not exists (
               select 1 from incoming i
                where (i.brand_id, i.element_name, i.element_value)
                      = (s.brand_id, s.element_name, s.element_value))
        returning 1
    ), history_written as (
        insert into public.creative_element_score_history as h
            (brand_id, element_name, element_value, as_of, alpha, beta, mean_reward, total_observations,
             job_run_id)
        select brand_id, element_name, element_value, p_as_of, alpha, beta, mean_reward,
               total_observations, v_job
        from incoming
        on conflict (brand_id, element_name, element_value, as_of) do update
            set alpha = excluded.alpha, beta = excluded.beta, mean_reward = excluded.mean_reward,
                total_observations = excluded.total_observations, job_run_id = excluded.job_run_id
            where (h.alpha, h.beta, h.mean_reward, h.total_observations)
                  is distinct from (excluded.alpha, excluded.beta, excluded.mean_reward,
                                    excluded.total_observations)
    ), history_removed as (
        delete from public.creative_element_score_history h
         where h.brand_id = any (p_brand_ids) and h.as_of = p_as_of
           and not exists (
               select 1 from incoming i
                where (i.brand_id, i.element_name, i.element_value)
                      = (h.brand_id, h.element_name, h.element_value))
    )
    select (select count(*) from incoming),
           (select count(*) from scores_written) + (select count(*) from scores_removed)
      into v_scores, v_elements_updated;

    v_summary := coalesce(p_summary, '{}'::jsonb) || jsonb_build_object(
        'brand_ids', to_jsonb(p_brand_ids), 'as_of', p_as_of,
        'rewards_new', v_new, 'rewards_updated', v_updated, 'rewards_unchanged', v_unchanged,
        'rewards_removed', v_removed, 'scores', v_scores, 'elements_updated', v_elements_updated,
        'duration_seconds',
        round(extract(epoch from clock_timestamp() - coalesce(p_started_at, now()))::numeric, 3));
    update public.genome_job_runs
       set status = 'succeeded', finished_at = clock_timestamp(), summary = v_summary
     where id = v_job;
    return v_summary || jsonb_build_object('job_id', v_job);
end
$$;

create or replace function public.genome_apply_validation(
    p_brand_ids text[], p_as_of date, p_metrics jsonb, p_actions jsonb,
    p_summary jsonb default '{}', p_started_at timestamptz default null
) returns jsonb
language plpgsql volatile security invoker
set search_path = '' set timezone = 'UTC'
as $$
declare
    v_job bigint;
    v_metrics bigint; v_opened bigint; v_updated bigint; v_resolved bigint; v_reopened bigint;
    v_summary jsonb;
begin
    if p_brand_ids is null or p_as_of is null then
        raise exception using errcode = '22023', message = 'p_brand_ids and p_as_of are required';
    end if;
    perform pg_advisory_xact_lock(7240311);

    insert into public.health_metric_history as m
        (as_of, brand_id, metric_name, metric_value, warning, critical)
    select distinct on (r.brand_id, r.metric_name)
           p_as_of, r.brand_id, r.metric_name, r.metric_value, r.warning, r.critical
    from jsonb_to_recordset(coalesce(p_metrics, '[]'::jsonb)) as r (
        brand_id text, metric_name text, metric_value double precision, warning double precision,
        critical double precision
    )
    where r.brand_id = any (p_brand_ids)
    on conflict (brand_id, metric_name, as_of) do update
        set metric_value = excluded.metric_value, warning = excluded.warning, critical = excluded.critical
        where (m.metric_value, m.warning, m.critical)
              is distinct from (excluded.metric_value, excluded.warning, excluded.critical);
    select count(*) into v_metrics
      from jsonb_array_elements(coalesce(p_metrics, '[]'::jsonb)) as e (value)
     where e.value ->> 'brand_id' = any (p_brand_ids);

    -- actions in order: resolve, update, open (an open after a resolve of the same type is a new alert)
    if exists (select 1 from jsonb_array_elements(coalesce(p_actions, '[]'::jsonb)) as e (value)
                where coalesce(e.value ->> 'action', '') not in ('open', 'update', 'resolve')) then
        raise exception using errcode = '22023', message = 'alert action must be open, update or resolve';
    end if;

    with a as (
        select r.action, r.alert_id::bigint as alert_id, r.brand_id, r.alert_type, coalesce(r.severity, 'warning') as severity,
               r.metric_value, r.threshold_value, coalesce(r.message, '') as message
        from jsonb_to_recordset(coalesce(p_actions, '[]'::jsonb)) as r (
            action text, alert_id numeric, brand_id text, alert_type text, severity text,
            metric_value double precision, threshold_value double precision, message text
        )
    )
    update public.system_alerts s
       set status = 'resolved', resolved_by = 'system', resolved_at = now(),
           resolution_note = a.message, metric_value = coalesce(a.metric_value, s.metric_value)
      from a
     where a.action = 'resolve' and s.id = a.alert_id and s.status <> 'resolved';
    get diagnostics v_resolved = row_count;

    with a as (
        select r.action, r.alert_id::bigint as alert_id, r.brand_id, r.alert_type, coalesce(r.severity, 'warning') as severity,
               r.metric_value, r.threshold_value, coalesce(r.message, '') as message
        from jsonb_to_recordset(coalesce(p_actions, '[]'::jsonb)) as r (
            action text, alert_id numeric, brand_id text, alert_type text, severity text,
            metric_value double precision, threshold_value double precision, message text
        )
    )
    update public.system_alerts s
       set last_seen_at = now(), occurrences = s.occurrences + 1,
           severity = case when 'critical' in (s.severity, a.severity) then 'critical' else 'warning' end,
           metric_value = a.metric_value, threshold_value = a.threshold_value, message = a.message
      from a
     where a.action = 'update' and s.id = a.alert_id and s.status <> 'resolved';
    get diagnostics v_updated = row_count;

    with a as (
        select r.action, r.alert_id::bigint as alert_id, r.brand_id, r.alert_type, coalesce(r.severity, 'warning') as severity,
               r.metric_value, r.threshold_value, coalesce(r.message, '') as message
        from jsonb_to_recordset(coalesce(p_actions, '[]'::jsonb)) as r (
            action text, alert_id numeric, brand_id text, alert_type text, severity text,
            metric_value double precision, threshold_value double precision, message text
        )
    ), written as (
        insert into public.system_alerts as s
            (brand_id, alert_type, severity, status, metric_value, threshold_value, message,
             first_seen_at, last_seen_at, occurrences)
        select a.brand_id, a.alert_type, a.severity, 'open', a.metric_value, a.threshold_value, a.message,
               now(), now(), 1
        from a
        where a.action = 'open' and a.brand_id = any (p_brand_ids)
        on conflict (brand_id, alert_type) where status <> 'resolved' do update
            set last_seen_at = excluded.last_seen_at, occurrences = s.occurrences + 1,
                severity = case when 'critical' in (s.severity, excluded.severity) then 'critical'
                                else 'warning' end,
                metric_value = excluded.metric_value, threshold_value = excluded.threshold_value,
                message = excluded.message
        returning (xmax = 0) as inserted
    )
    select count(*) filter (where inserted), count(*) filter (where not inserted)
      into v_opened, v_reopened
      from written;

    v_summary := coalesce(p_summary, '{}'::jsonb) || jsonb_build_object(
        'brand_ids', to_jsonb(p_brand_ids), 'as_of', p_as_of, 'metrics', v_metrics,
        'alerts_opened', v_opened, 'alerts_updated', v_updated + v_reopened,
        'alerts_resolved', v_resolved,
        'duration_seconds',
        round(extract(epoch from clock_timestamp() - coalesce(p_started_at, now()))::numeric, 3));
    v_job := public.genome_record_job('validate', p_brand_ids, 'succeeded', p_started_at, v_summary);
    return v_summary || jsonb_build_object('job_id', v_job);
end
$$;

create or replace function public.genome_set_alert_status(
    p_alert_id bigint, p_status text, p_by text, p_note text default '', p_at timestamptz default null
) returns jsonb
language plpgsql volatile security invoker
set search_path = ''
as $$
declare
    v_current text;
    v_row public.system_alerts;
begin
    if p_status is null or p_status not in ('acknowledged', 'resolved') then
        raise exception using errcode = '22023',
            message = format('status must be acknowledged or resolved, got %L', p_status);
    end if;
    if coalesce(btrim(p_by), '') = '' then
        raise exception using errcode = '22023', message = 'say who changes the alert';
    end if;
    select s.status into v_current from public.system_alerts s where s.id = p_alert_id for update;
    if not found then
        raise exception using errcode = 'P0002', message = format('no alert %s', p_alert_id);
    end if;
    if v_current = 'resolved' then
        raise exception using errcode = '55000', message = format('alert %s is already resolved', p_alert_id);
    end if;
    if p_status = 'acknowledged' then
        update public.system_alerts
           set status = 'acknowledged', acknowledged_by = p_by,
               acknowledged_at = coalesce(p_at, now()), ack_note = coalesce(p_note, '')
         where id = p_alert_id
        returning * into v_row;
    else
        update public.system_alerts
           set status = 'resolved', resolved_by = p_by, resolved_at = coalesce(p_at, now()),
               resolution_note = coalesce(p_note, '')
         where id = p_alert_id
        returning * into v_row;
    end if;
    return to_jsonb(v_row);
end
$$;
