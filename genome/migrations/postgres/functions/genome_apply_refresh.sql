-- genome_apply_refresh(p_brand_ids text[], p_as_of date, p_rewards jsonb, p_scores jsonb,
--                      p_summary jsonb default '{}', p_started_at timestamptz default null) returns jsonb
--   p_rewards (the rewards frame): [{"ad_id", "reward_score", "ctr", "conversion_rate", "roas",
--     "ctr_score", "conversion_score", "roas_score", "ctr_weight", "conversion_weight", "roas_weight",
--     "campaign_objective", "maturity", "impressions_at_reward", "matured_at": 'YYYY-MM-DD'}]
--     (the fields of the type public.genome_reward_row, 0005_reward_rows.sql); null: the caller has
--     staged them in the temp table genome_staged_rewards of that type (a COPY), which this drops.
--   p_scores (complete for the refreshed brands): [{"brand_id", "element_name", "element_value",
--     "alpha", "beta", "prior_alpha", "prior_beta", "prior_source", "total_observations", "mean_reward"}]
-- Rewards written by genome_store_rewards, scores and their history snapshot by genome_store_scores
-- (each in its own file), inside this job.
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
    v_rewards bigint[];  -- new, updated, unchanged, removed (genome_store_rewards)
    v_scores bigint[];  -- scores, elements_updated (genome_store_scores)
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

    v_rewards := public.genome_store_rewards(p_brand_ids);
    drop table pg_temp.genome_staged_rewards;

    v_scores := public.genome_store_scores(p_brand_ids, p_as_of, p_scores, v_job);

    v_summary := coalesce(p_summary, '{}'::jsonb) || jsonb_build_object(
        'brand_ids', to_jsonb(p_brand_ids), 'as_of', p_as_of,
        'rewards_new', v_rewards[1], 'rewards_updated', v_rewards[2], 'rewards_unchanged', v_rewards[3],
        'rewards_removed', v_rewards[4], 'scores', v_scores[1], 'elements_updated', v_scores[2],
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
