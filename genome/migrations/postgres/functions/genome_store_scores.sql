-- genome_store_scores(p_brand_ids text[], p_as_of date, p_scores jsonb, p_job bigint)
--   returns bigint[] (scores, elements_updated)
-- p_scores, the complete new set of element scores of p_brand_ids (fields as in genome_apply_refresh),
-- written: changed rows updated (last_updated = now()), unchanged ones kept, absent ones deleted; and
-- the history snapshot (brand, element, value, p_as_of) upserted where changed with job_run_id
-- p_job, absent ones of that as_of deleted. Called only by genome_apply_refresh, inside its job.

create or replace function public.genome_store_scores(p_brand_ids text[], p_as_of date, p_scores jsonb, p_job bigint)
returns bigint[]
language plpgsql volatile security invoker
set search_path = ''
as $$
declare
    v_scores bigint; v_elements_updated bigint;
begin
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
               total_observations, p_job
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
    return array[v_scores, v_elements_updated];
end
$$;

revoke all on function public.genome_store_scores(text[], date, jsonb, bigint) from public, anon, authenticated;
grant execute on function public.genome_store_scores(text[], date, jsonb, bigint) to service_role;
