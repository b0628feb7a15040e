-- genome_record_alert_event(): the trigger alert_events_recorded (after insert or update on
-- system_alerts, created below: it needs this function) appends each change of an alert to
-- system_alert_events, in this order: opened, escalated (warning -> critical), reopened (acknowledged
-- -> open), acknowledged, resolved / auto_resolved (resolved_by 'system'), whichever path made it (a
-- validation, genome_set_alert_status, or the status columns authenticated may update).
-- SECURITY DEFINER (so no role needs to write the events table); no role may execute it directly.

create or replace function public.genome_record_alert_event() returns trigger
language plpgsql volatile security definer
set search_path = ''
as $$
begin
    insert into public.system_alert_events
        (alert_id, brand_id, kind, actor, occurred_at, note, severity, metric_value, as_of)
    select new.id, new.brand_id, e.kind, e.actor, e.occurred_at, e.note, new.severity, new.metric_value, e.as_of
    from (values
        (1, tg_op = 'INSERT', 'opened', 'system', new.first_seen_at, new.message, new.as_of),
        (2, old.severity = 'warning' and new.severity = 'critical', 'escalated', 'system', new.last_seen_at,
            new.message, new.as_of),
        (3, old.status = 'acknowledged' and new.status = 'open', 'reopened', 'system', new.last_seen_at,
            new.message, new.as_of),
        (4, new.status = 'acknowledged' and (new.acknowledged_by, new.acknowledged_at, new.ack_note)
               is distinct from (old.acknowledged_by, old.acknowledged_at, old.ack_note),
            'acknowledged', coalesce(new.acknowledged_by, ''), new.acknowledged_at, coalesce(new.ack_note, ''),
            null),
        (5, old.status <> 'resolved' and new.status = 'resolved',
            case when new.resolved_by = 'system' then 'auto_resolved' else 'resolved' end,
            coalesce(new.resolved_by, ''), new.resolved_at, coalesce(new.resolution_note, ''),
            case when new.resolved_by = 'system' then new.as_of end)
    ) as e (position, happened, kind, actor, occurred_at, note, as_of)
    where e.happened
    order by e.position;
    return null;
end
$$;

revoke all on function public.genome_record_alert_event() from public, anon, authenticated, service_role;

drop trigger if exists alert_events_recorded on public.system_alerts;
create trigger alert_events_recorded after insert or update on public.system_alerts
    for each row execute function public.genome_record_alert_event();
