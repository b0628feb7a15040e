-- genome_record_job(p_job_type text, p_brand_ids text[], p_status text, p_started_at timestamptz,
--                   p_summary jsonb default '{}', p_error text default null) returns bigint
-- Records a finished job run (finished_at now; brand_id = the brand when exactly one; summary gets
-- brand_ids) and returns its id: the runs of the job functions, and every run a client records
-- itself (a skipped refresh, a daily run, a notification batch, a job that failed and rolled back).

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

revoke all on function public.genome_record_job(text, text[], text, timestamptz, jsonb, text) from public, anon, authenticated;
grant execute on function public.genome_record_job(text, text[], text, timestamptz, jsonb, text) to service_role;
