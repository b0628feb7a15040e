-- genome_refuse_alert_event_change(): the trigger alert_events_append_only (before update on
-- system_alert_events, created below: it needs this function) refuses every update, even by the
-- table's owner: the alert event history is append-only (55000). No role may execute it directly.

create or replace function public.genome_refuse_alert_event_change() returns trigger
language plpgsql volatile security invoker
set search_path = ''
as $$
begin
    raise exception using errcode = '55000', message = 'the alert event history is append-only';
end
$$;

revoke all on function public.genome_refuse_alert_event_change() from public, anon, authenticated, service_role;

drop trigger if exists alert_events_append_only on public.system_alert_events;
create trigger alert_events_append_only before update on public.system_alert_events
    for each row execute function public.genome_refuse_alert_event_change();
