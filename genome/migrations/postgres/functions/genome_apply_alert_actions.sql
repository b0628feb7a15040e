-- genome_apply_alert_actions(p_brand_ids text[], p_as_of date, p_actions jsonb) returns jsonb
-- A validation's alert actions (genome_apply_validation calls it in its job), applied to the alerts of
-- p_brand_ids as they are at write time, under a row lock so an operator's change waits. p_actions:
-- [{"action": 'open'|'update'|'resolve', "alert_id", "brand_id", "alert_type", "severity",
-- "metric_value", "threshold_value", "message"}].
--   open -> a new alert (occurrences 1, as_of = p_as_of), or an update of the unresolved one of its
--     (brand, alert_type); update/resolve -> the unresolved alert alert_id; nothing when it was
--     resolved meanwhile. update: severity only escalates; an acknowledged warning turning critical
--     is 'open' again; occurrences + 1 only when p_as_of is later than the alert's as_of; last_seen_at
--     = now() only when something changed (a repeat leaves the row byte-identical). resolve: status
--     'resolved', resolved_by 'system', resolution_note = message. A brand with health metrics at a
--     later date than p_as_of (a backfill) keeps its alerts, as does an alert whose as_of is later.
--     Duplicate actions for one (brand, alert_type): the last one counts.
-- -> {"alerts_opened", "alerts_updated", "alerts_reopened", "alerts_resolved"}.

create or replace function public.genome_apply_alert_actions(p_brand_ids text[], p_as_of date, p_actions jsonb)
returns jsonb
language plpgsql volatile security invoker
set search_path = ''
as $$
declare
    v_counts jsonb;
begin
    perform pg_advisory_xact_lock(7240311);
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
    select jsonb_build_object(
               'alerts_opened', (select count(*) from opened), 'alerts_updated', (select count(*) from updated),
               'alerts_reopened', (select count(*) from updated where reopened),
               'alerts_resolved', (select count(*) from resolved))
      into v_counts;
    return v_counts;

end
$$;

revoke all on function public.genome_apply_alert_actions(text[], date, jsonb) from public, anon, authenticated;
grant execute on function public.genome_apply_alert_actions(text[], date, jsonb) to service_role;
