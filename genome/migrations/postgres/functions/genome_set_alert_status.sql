-- genome_set_alert_status(p_alert_id bigint, p_status text, p_by text, p_note text default '',
--                         p_at timestamptz default null) returns jsonb
-- p_status 'acknowledged' or 'resolved', from open or acknowledged -> the updated system_alerts row.
-- P0002 if there is no such alert, 55000 if it is already resolved, 22023 for a bad status or no p_by.
-- Called by: genome/store/postgres.py PostgresStore.set_alert_status, supabase_requests.set_alert_status_call.
-- SECURITY INVOKER, search_path ''; execute for service_role and authenticated (the row level
-- security policy authenticated_alert_status and its column grants bound what authenticated may do).
-- Applied by `migrate` after the numbered files, again whenever this file changes.

create or replace function public.genome_set_alert_status(
    p_alert_id bigint, p_status text, p_by text, p_note text default '', p_at timestamptz default null
) returns jsonb
language plpgsql volatile security invoker
set search_path = ''
as $$
declare
    v_current text;
    v_row public.system_alerts;
begin
    if p_status is null or p_status not in ('acknowledged', 'resolved') then
        raise exception using errcode = '22023',
            message = format('status must be acknowledged or resolved, got %L', p_status);
    end if;
    if coalesce(btrim(p_by), '') = '' then
        raise exception using errcode = '22023', message = 'say who changes the alert';
    end if;
    select s.status into v_current from public.system_alerts s where s.id = p_alert_id for update;
    if not found then
        raise exception using errcode = 'P0002', message = format('no alert %s', p_alert_id);
    end if;
    if v_current = 'resolved' then
        raise exception using errcode = '55000', message = format('alert %s is already resolved', p_alert_id);
    end if;
    if p_status = 'acknowledged' then
        update public.system_alerts
           set status = 'acknowledged', acknowledged_by = p_by,
               acknowledged_at = coalesce(p_at, now()), ack_note = coalesce(p_note, '')
         where id = p_alert_id
        returning * into v_row;
    else
        update public.system_alerts
           set status = 'resolved', resolved_by = p_by, resolved_at = coalesce(p_at, now()),
               resolution_note = coalesce(p_note, '')
         where id = p_alert_id
        returning * into v_row;
    end if;
    return to_jsonb(v_row);
end
$$;

revoke all on function public.genome_set_alert_status(bigint, text, text, text, timestamptz) from public, anon, authenticated;
grant execute on function public.genome_set_alert_status(bigint, text, text, text, timestamptz) to service_role;
grant execute on function public.genome_set_alert_status(bigint, text, text, text, timestamptz) to authenticated;
