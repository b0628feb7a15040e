-- 0009_alert_events.sql — every change of an alert kept as an event; validation made repeatable.
--
-- Why: an alert row kept only its latest acknowledgement and resolution (each overwrote the last),
-- an acknowledged alert that escalated stayed 'acknowledged' (only its message said "Reopened"), and
-- every validation counted an occurrence and rewrote the message, so running it twice at the same
-- as_of changed the alert.
--
-- public.system_alert_events: append-only history, one row per change: kind in
--   opened (actor 'system'), escalated (warning -> critical), reopened (acknowledged -> open on
--   escalation), acknowledged, resolved (by an operator), auto_resolved (resolved_by 'system'),
--   with actor, occurred_at, note, severity, metric_value and the validation as_of (system events).
--   Written only by the trigger below (SECURITY DEFINER, so no role needs to write the table, and
--   every change is recorded whichever path made it: a validation, genome_set_alert_status, or the
--   status columns authenticated may update). No role may update or delete it (a trigger refuses
--   updates even to its owner); rows go only with their alert (on delete cascade).
--   authenticated and service_role: select only.
-- public.system_alerts.as_of: the validation date that last opened, updated or resolved the alert.
--   Existing unresolved alerts get the newest metric history date of their (brand, metric); their
--   past events are what the row kept: opened at first_seen_at, the latest acknowledgement, the
--   resolution.
--
-- public.genome_apply_validation (same signature, arguments and summary as 0002, plus
-- "alerts_reopened"), applied to the alerts as they are at write time, under a row lock so an
-- operator's change waits:
--   open -> a new alert (occurrences 1, as_of = p_as_of), or, when its (brand, alert_type) already
--     has an unresolved one, an update of that one;
--   update/resolve -> the unresolved alert alert_id of that (brand, alert_type); nothing when it was
--     resolved meanwhile (the operator's resolution stands; the next validation opens a new alert);
--   update -> severity only escalates; an acknowledged warning that turns critical is
--     'open' again; occurrences + 1 only when p_as_of is later than the alert's as_of; value,
--     threshold and message take the action's; last_seen_at = now() only when something changed,
--     so a repeat at the same as_of with the same values leaves the row byte-identical;
--   resolve -> status 'resolved', resolved_by 'system', resolution_note = message, as_of = p_as_of.
--   A brand whose health metrics were already recorded at a later date than p_as_of (a backfill)
--   keeps its alerts as they are (its metrics are still recorded), as does an alert whose as_of is
--   later than p_as_of. Duplicate actions for one (brand, alert_type): the last one counts.
--
-- Same security as 0002-0008 for the replaced function (SECURITY INVOKER, search_path '', execute
-- for service_role only). Safe to run twice.

alter table public.system_alerts add column if not exists as_of date;

create table if not exists public.system_alert_events (
    id bigint generated always as identity primary key,
    alert_id bigint not null references public.system_alerts (id) on delete cascade,
    brand_id text not null references public.brands (id) on delete cascade,
    kind text not null,
    actor text not null,
    occurred_at timestamptz not null,
    note text not null default '',
    severity text,
    metric_value double precision,
    as_of date,
    constraint alert_events_kind check (
        kind in ('opened', 'escalated', 'reopened', 'acknowledged', 'resolved', 'auto_resolved')
    )
);
create index if not exists alert_events_alert on public.system_alert_events (alert_id, id);
create index if not exists alert_events_brand on public.system_alert_events (brand_id, id);
alter table public.system_alert_events enable row level security;

-- --- the history of alerts made before this file --------------------------------------------------
update public.system_alerts s
   set as_of = (select max(h.as_of) from public.health_metric_history h
                 where h.brand_id = s.brand_id and h.metric_name = s.alert_type)
 where s.as_of is null and s.status <> 'resolved';

insert into public.system_alert_events (alert_id, brand_id, kind, actor, occurred_at, note, severity)
select alert_id, brand_id, kind, actor, occurred_at, note, severity from (
    select id as alert_id, brand_id, 'opened' as kind, 'system' as actor, first_seen_at as occurred_at,
           '' as note, severity, 1 as step
    from public.system_alerts
    union all
    select id, brand_id, 'acknowledged', coalesce(acknowledged_by, ''), acknowledged_at, coalesce(ack_note, ''),
           severity, 2
    from public.system_alerts where acknowledged_at is not null
    union all
    select id, brand_id, case when resolved_by = 'system' then 'auto_resolved' else 'resolved' end,
           coalesce(resolved_by, ''), resolved_at, coalesce(resolution_note, ''), severity, 3
    from public.system_alerts where resolved_at is not null
) as history
where not exists (select 1 from public.system_alert_events e where e.alert_id = history.alert_id)
order by alert_id, step;

-- --- the triggers that append the events ------------------------------------------------------------
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

create or replace function public.genome_refuse_alert_event_change() returns trigger
language plpgsql volatile security invoker
set search_path = ''
as $$
begin
    raise exception using errcode = '55000', message = 'the alert event history is append-only';
end
$$;

drop trigger if exists alert_events_recorded on public.system_alerts;
create trigger alert_events_recorded after insert or update on public.system_alerts
    for each row execute function public.genome_record_alert_event();
drop trigger if exists alert_events_append_only on public.system_alert_events;
create trigger alert_events_append_only before update on public.system_alert_events
    for each row execute function public.genome_refuse_alert_event_change();

-- --- validation -------------------------------------------------------------------------------------
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

-- --- access: read-only for every role; only the trigger writes -------------------------------------
revoke all on table public.system_alert_events from public, anon, authenticated, service_role;
grant select on table public.system_alert_events to authenticated, service_role;
revoke all on sequence public.system_alert_events_id_seq from public, anon, authenticated, service_role;
revoke all on function public.genome_record_alert_event() from public, anon, authenticated, service_role;
revoke all on function public.genome_refuse_alert_event_change() from public, anon, authenticated, service_role;
revoke all on function public.genome_apply_validation(text[], date, jsonb, jsonb, jsonb, timestamptz)
    from public, anon, authenticated;
grant execute on function public.genome_apply_validation(text[], date, jsonb, jsonb, jsonb, timestamptz)
    to service_role;

drop policy if exists service_role_all on public.system_alert_events;
create policy service_role_all on public.system_alert_events
    for all to service_role using (true) with check (true);
drop policy if exists authenticated_read on public.system_alert_events;
create policy authenticated_read on public.system_alert_events for select to authenticated using (true);
