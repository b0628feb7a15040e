-- genome_record_alert_event(): the trigger alert_events_recorded (after insert or update on
-- system_alerts, created below) appends each change of an alert to system_alert_events: opened,
-- escalated (warning -> critical), reopened (acknowledged -> open), acknowledged, resolved / auto_resolved
-- (resolved_by 'system'), whichever path made it (a validation, genome_set_alert_status, or the status
-- columns authenticated may update).
-- SECURITY DEFINER (so no role needs to write the events table), search_path ''; no role may execute
-- it directly. The trigger lives here because it needs this function to exist, and the function files
-- are applied after the numbered files. Applied by `migrate`, again whenever this file changes.

create or replace function public.genome_record_alert_event() returns trigger
language plpgsql volatile security definer
set search_path = ''
as $$
begin
    if tg_op = 'INSERT' then
        insert into public.system_alert_events
            (alert_id, brand_id, kind, actor, occurred_at, note, severity, metric_value, as_of)
        values (new.id, new.brand_id, 'opened', 'system', new.first_seen_at, new.message, new.severity,
                new.metric_value, new.as_of);
        return null;
    end if;
    if old.severity = 'warning' and new.severity = 'critical' then
        insert into public.system_alert_events
            (alert_id, brand_id, kind, actor, occurred_at, note, severity, metric_value, as_of)
        values (new.id, new.brand_id, 'escalated', 'system', new.last_seen_at, new.message, new.severity,
                new.metric_value, new.as_of);
    end if;
    if old.status = 'acknowledged' and new.status = 'open' then
        insert into public.system_alert_events
            (alert_id, brand_id, kind, actor, occurred_at, note, severity, metric_value, as_of)
        values (new.id, new.brand_id, 'reopened', 'system', new.last_seen_at, new.message, new.severity,
                new.metric_value, new.as_of);
    end if;
    if new.status = 'acknowledged'
       and (new.acknowledged_by, new.acknowledged_at, new.ack_note)
           is distinct from (old.acknowledged_by, old.acknowledged_at, old.ack_note) then
        insert into public.system_alert_events
            (alert_id, brand_id, kind, actor, occurred_at, note, severity, metric_value)
        values (new.id, new.brand_id, 'acknowledged', coalesce(new.acknowledged_by, ''), new.acknowledged_at,
                coalesce(new.ack_note, ''), new.severity, new.metric_value);
    end if;
    if old.status <> 'resolved' and new.status = 'resolved' then
        insert into public.system_alert_events
            (alert_id, brand_id, kind, actor, occurred_at, note, severity, metric_value, as_of)
        values (new.id, new.brand_id,
                case when new.resolved_by = 'system' then 'auto_resolved' else 'resolved' end,
                coalesce(new.resolved_by, ''), new.resolved_at, coalesce(new.resolution_note, ''),
                new.severity, new.metric_value,
                case when new.resolved_by = 'system' then new.as_of end);
    end if;
    return null;
end
$$;

revoke all on function public.genome_record_alert_event() from public, anon, authenticated, service_role;

drop trigger if exists alert_events_recorded on public.system_alerts;
create trigger alert_events_recorded after insert or update on public.system_alerts
    for each row execute function public.genome_record_alert_event();
