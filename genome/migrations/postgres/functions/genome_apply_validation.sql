-- genome_apply_validation(p_brand_ids text[], p_as_of date, p_metrics jsonb, p_actions jsonb,
--                         p_summary jsonb default '{}', p_started_at timestamptz default null) returns jsonb
--   p_metrics: [{"brand_id", "metric_name", "metric_value", "warning", "critical"}] upserted into
--     health_metric_history by (brand_id, metric_name, p_as_of).
--   p_actions: [{"action": 'open'|'update'|'resolve', "alert_id", "brand_id", "alert_type",
--     "severity", "metric_value", "threshold_value", "message"}], applied to the alerts as they are at
--     write time, under a row lock so an operator's change waits:
--   open -> a new alert (occurrences 1, as_of = p_as_of), or an update of the unresolved one of its
--     (brand, alert_type); update/resolve -> the unresolved alert alert_id; nothing when it was
--     resolved meanwhile. update: severity only escalates; an acknowledged warning turning critical
--     is 'open' again; occurrences + 1 only when p_as_of is later than the alert's as_of; last_seen_at
--     = now() only when something changed (a repeat leaves the row byte-identical). resolve: status
--     'resolved', resolved_by 'system', resolution_note = message. A brand with health metrics at a
--     later date than p_as_of (a backfill) keeps its alerts, as does an alert whose as_of is later.
--     Duplicate actions for one (brand, alert_type): the last one counts.
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
    v_metrics bigint; v_opened bigint; v_updated bigint; v_reopened bigint; v_resolved bigint;
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

    if exists (select 1 from jsonb_array_elements(coalesce(p_actions, '[]'::jsonb)) as e (value)
                where coalesce(e.value ->> 'action', '') not in ('open', 'update', 'resolve')) then
        raise exception using errcode = '22023', message = 'alert action must be open, update or resolve';
    end if;
    -- an operator's acknowledgement or resolution of these alerts waits for this write
    perform 1 from public.system_alerts s
     where s.brand_id = any (p_brand_ids) and s.status <> 'resolved'
       for update;

    with a as (
        select distinct on (e.value ->> 'brand_id', e.value ->> 'alert_type')
               e.value ->> 'action' as action, (e.value ->> 'alert_id')::numeric::bigint as alert_id,
               e.value ->> 'brand_id' as brand_id,
               e.value ->> 'alert_type' as alert_type, coalesce(e.value ->> 'severity', 'warning') as severity,
               (e.value ->> 'metric_value')::double precision as metric_value,
               (e.value ->> 'threshold_value')::double precision as threshold_value,
               coalesce(e.value ->> 'message', '') as message
        from jsonb_array_elements(coalesce(p_actions, '[]'::jsonb)) with ordinality as e (value, ord)
        order by e.value ->> 'brand_id', e.value ->> 'alert_type', e.ord desc
    ), plan as (
        select s.id as alert_id, a.brand_id, a.alert_type,
               case when a.action = 'resolve' then 'resolve' when s.id is null then 'open' else 'update' end
                   as action,
               case when 'critical' in (s.severity, a.severity) then 'critical' else a.severity end as severity,
               a.metric_value, a.threshold_value, a.message,
               case when s.status = 'acknowledged' and s.severity = 'warning' and a.severity = 'critical'
                    then 'open' else coalesce(s.status, 'open') end as status,
               coalesce(s.as_of < p_as_of, true) as seen_again,
               coalesce(s.status = 'acknowledged' and s.severity = 'warning' and a.severity = 'critical', false)
                   as reopened
        from a
        left join public.system_alerts s
               on s.brand_id = a.brand_id and s.alert_type = a.alert_type and s.status <> 'resolved'
              and (a.action = 'open' or s.id = a.alert_id)
        where a.brand_id = any (p_brand_ids)
          and (a.action = 'open' or s.id is not null)
          and (s.as_of is null or s.as_of <= p_as_of)
          and not exists (select 1 from public.health_metric_history h
                           where h.brand_id = a.brand_id and h.as_of > p_as_of)
    ), resolved as (
        update public.system_alerts s
           set status = 'resolved', resolved_by = 'system', resolved_at = now(), resolution_note = p.message,
               metric_value = coalesce(p.metric_value, s.metric_value), as_of = p_as_of
          from plan p
         where p.action = 'resolve' and s.id = p.alert_id
        returning s.id
    ), updated as (
        update public.system_alerts s
           set severity = p.severity, status = p.status, metric_value = p.metric_value,
               threshold_value = p.threshold_value, message = p.message,
               occurrences = s.occurrences + p.seen_again::integer, as_of = p_as_of, last_seen_at = now()
          from plan p
         where p.action = 'update' and s.id = p.alert_id
           and (p.seen_again
                or (s.severity, s.status, s.metric_value, s.threshold_value, s.message)
                   is distinct from (p.severity, p.status, p.metric_value, p.threshold_value, p.message))
        returning p.reopened
    ), opened as (
        insert into public.system_alerts
            (brand_id, alert_type, severity, status, metric_value, threshold_value, message,
             first_seen_at, last_seen_at, occurrences, as_of)
        select p.brand_id, p.alert_type, p.severity, 'open', p.metric_value, p.threshold_value, p.message,
               now(), now(), 1, p_as_of
        from plan p
        where p.action = 'open'
        order by p.brand_id, p.alert_type
        returning id
    )
    select (select count(*) from opened), (select count(*) from updated),
           (select count(*) from updated where reopened), (select count(*) from resolved)
      into v_opened, v_updated, v_reopened, v_resolved;

    v_summary := coalesce(p_summary, '{}'::jsonb) || jsonb_build_object(
        'brand_ids', to_jsonb(p_brand_ids), 'as_of', p_as_of, 'metrics', v_metrics,
        'alerts_opened', v_opened, 'alerts_updated', v_updated, 'alerts_reopened', v_reopened,
        'alerts_resolved', v_resolved,
        'duration_seconds',
        round(extract(epoch from clock_timestamp() - coalesce(p_started_at, now()))::numeric, 3));
    v_job := public.genome_record_job('validate', p_brand_ids, 'succeeded', p_started_at, v_summary);
    return v_summary || jsonb_build_object('job_id', v_job);
end
$$;

revoke all on function public.genome_apply_validation(text[], date, jsonb, jsonb, jsonb, timestamptz) from public, anon, authenticated;
grant execute on function public.genome_apply_validation(text[], date, jsonb, jsonb, jsonb, timestamptz) to service_role;
