-- genome_record_job(p_job_type text, p_brand_ids text[], p_status text, p_started_at timestamptz,
--                   p_summary jsonb default '{}', p_error text default null) returns bigint
-- Records a finished job run (finished_at now; brand_id = the brand when exactly one; summary gets
-- brand_ids) and returns its id: a job that failed after its transaction rolled back, a skipped
-- refresh, and the import and validation functions' own runs.
-- Called by: genome/store/postgres.py, supabase_requests.py record_failed_job_call and skipped_refresh_call, genome_import_ads,
-- genome_import_performance, genome_apply_validation.
-- SECURITY INVOKER, search_path '' (tables written public.<name>); execute for service_role only.
-- Applied by `migrate` after the numbered files, again whenever this file changes. A change of its
-- arguments or return type needs `drop function if exists` of the old signature above the create.

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
