-- genome_apply_refresh(p_brand_ids text[], p_as_of date, p_rewards jsonb, p_scores jsonb,
--                      p_summary jsonb default '{}', p_started_at timestamptz default null) returns jsonb
--   p_rewards (the rewards frame): [{"ad_id", "reward_score", "ctr", "conversion_rate", "roas",
--     "ctr_score", "conversion_score", "roas_score", "ctr_weight", "conversion_weight", "roas_weight",
--     "campaign_objective", "maturity", "impressions_at_reward", "matured_at": 'YYYY-MM-DD'}]
--     (the fields of the type public.genome_reward_row, 0005_reward_rows.sql); null: the caller has
--     staged them in the temp table genome_staged_rewards of that type (a COPY), which this drops.
--   p_scores (complete for the refreshed brands): [{"brand_id", "element_name", "element_value",
--     "alpha", "beta", "prior_alpha", "prior_beta", "prior_source", "total_observations", "mean_reward"}]
-- Rewards upserted by ad only where changed (computed_at kept otherwise); rewards of refreshed brands
-- absent from p_rewards deleted. Scores likewise (last_updated kept), and the history snapshot
-- (brand, element, value, p_as_of) upserted where changed, absent ones of that as_of deleted.
-- -> p_summary || {"job_id", "brand_ids", "as_of", "rewards_new", "rewards_updated",
--    "rewards_unchanged", "rewards_removed", "scores", "elements_updated", "duration_seconds"},
--    job_type 'refresh' (brand_id = the brand when exactly one).
-- Called by: genome/store/postgres.py PostgresStore.refresh, supabase_requests.apply_refresh_call.
-- Takes the job lock pg_advisory_xact_lock(7240311), so no two jobs interleave.
-- SECURITY INVOKER, search_path '' (tables written public.<name>); execute for service_role only.
-- Applied by `migrate` after the numbered files, again whenever this file changes. A change of its
-- arguments or return type needs `drop function if exists` of the old signature above the create.

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
    if p_rewards is not null then
        create temp table genome_staged_rewards of public.genome_reward_row;
        insert into pg_temp.genome_staged_rewards
        select * from jsonb_populate_recordset(null::public.genome_reward_row, p_rewards);
    end if;

    -- rewards: new ones inserted, changed ones updated, unchanged ones kept with their computed_at
    -- (a plain insert and an update by join: no speculative insertion per row as `on conflict` makes)
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
               coalesce(r.impressions_at_reward, 0)::bigint as impressions_at_reward,
               r.matured_at
        from pg_temp.genome_staged_rewards r
        join public.generated_ads a on a.id = r.ad_id and a.brand_id = any (p_brand_ids)
    ), classified as (
        select i.*,
               case when c.generated_ad_id is null then 'new'
                    when (c.brand_id, c.reward_score, c.reward_components, c.campaign_objective, c.maturity,
                          c.impressions_at_reward, c.matured_at)
                         is distinct from (i.brand_id, i.reward_score, i.reward_components,
                                           i.campaign_objective, i.maturity, i.impressions_at_reward,
                                           i.matured_at) then 'updated'
                    else 'unchanged' end as outcome
        from incoming i
        left join public.creative_element_rewards c on c.generated_ad_id = i.ad_id
    ), inserted as (
        insert into public.creative_element_rewards
            (generated_ad_id, brand_id, reward_score, reward_components, campaign_objective, maturity,
             impressions_at_reward, matured_at, computed_at)
        select ad_id, brand_id, reward_score, reward_components, campaign_objective, maturity,
               impressions_at_reward, matured_at, now()
        from classified where outcome = 'new'
    ), updated as (
        update public.creative_element_rewards as c
           set brand_id = i.brand_id, reward_score = i.reward_score,
               reward_components = i.reward_components, campaign_objective = i.campaign_objective,
               maturity = i.maturity, impressions_at_reward = i.impressions_at_reward,
               matured_at = i.matured_at, computed_at = now()
          from classified i
         where i.outcome = 'updated' and c.generated_ad_id = i.ad_id
    )
    select count(*) filter (where outcome = 'new'), count(*) filter (where outcome = 'updated'),
           count(*) filter (where outcome = 'unchanged')
      into v_new, v_updated, v_unchanged
      from classified;

    delete from public.creative_element_rewards c
     where c.brand_id = any (p_brand_ids)
       and not exists (
           select 1 from pg_temp.genome_staged_rewards r where r.ad_id = c.generated_ad_id);
    get diagnostics v_removed = row_count;
    drop table pg_temp.genome_staged_rewards;

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

revoke all on function public.genome_apply_refresh(text[], date, jsonb, jsonb, jsonb, timestamptz) from public, anon, authenticated;
grant execute on function public.genome_apply_refresh(text[], date, jsonb, jsonb, jsonb, timestamptz) to service_role;
