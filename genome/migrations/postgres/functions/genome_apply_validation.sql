-- genome_apply_validation(p_brand_ids text[], p_as_of date, p_metrics jsonb, p_actions jsonb,
--                         p_summary jsonb default '{}', p_started_at timestamptz default null) returns jsonb
--   p_metrics: [{"brand_id", "metric_name", "metric_value", "warning", "critical"}] upserted into
--     health_metric_history by (brand_id, metric_name, p_as_of); then p_actions applied by
--     genome_apply_alert_actions.
-- -> p_summary || {"job_id", "brand_ids", "as_of", "metrics", "alerts_opened", "alerts_updated",
--    "alerts_reopened", "alerts_resolved", "duration_seconds"}, job_type 'validate'.

create or replace function public.genome_apply_validation(
    p_brand_ids text[], p_as_of date, p_metrics jsonb, p_actions jsonb,
    p_summary jsonb default '{}', p_started_at timestamptz default null
) returns jsonb
language plpgsql volatile security invoker
set search_path = '' set timezone = 'UTC'
as $$
declare
    v_job bigint;
    v_metrics bigint;
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

    v_summary := public.genome_apply_alert_actions(p_brand_ids, p_as_of, p_actions);

    v_summary := coalesce(p_summary, '{}'::jsonb) || jsonb_build_object(
        'brand_ids', to_jsonb(p_brand_ids), 'as_of', p_as_of, 'metrics', v_metrics,
        'duration_seconds',
        round(extract(epoch from clock_timestamp() - coalesce(p_started_at, now()))::numeric, 3)) || v_summary;
    v_job := public.genome_record_job('validate', p_brand_ids, 'succeeded', p_started_at, v_summary);
    return v_summary || jsonb_build_object('job_id', v_job);
end
$$;

revoke all on function public.genome_apply_validation(text[], date, jsonb, jsonb, jsonb, timestamptz) from public, anon, authenticated;
grant execute on function public.genome_apply_validation(text[], date, jsonb, jsonb, jsonb, timestamptz) to service_role;
