-- genome_set_alert_status: the one way to acknowledge or resolve an alert, in two forms.
-- (p_alert_id bigint, p_status text, p_by text, p_note text, p_at timestamptz default null) returns
--   jsonb, the service role's form (the CLI and the dashboard name the signed-in operator): p_status
--   'acknowledged' or 'resolved', from open or acknowledged -> the updated system_alerts row. P0002 if
--   there is no such alert, 55000 if it is already resolved, 22023 for a bad status, no p_by or p_by
--   'system' (the name of validation's own changes).
-- (p_alert_id bigint, p_status text, p_note text default '') returns jsonb, a signed-in user's form
--   (`authenticated`, through PostgREST): stamped with auth.uid() and now(), whatever the client
--   holds. 42501 when the caller is not signed in or is a viewer of the alert's organization; P0002
--   when the alert is not in one of the caller's organizations. SECURITY DEFINER (authenticated may
--   not write system_alerts): it checks the caller's role itself, then calls the first form.
-- p_note has no default in the first form, so three arguments always mean the signed-in form. Names
-- and notes are bounded by the table's checks (0002_tenancy.sql).

drop function if exists public.genome_set_alert_status(bigint, text, text, text, timestamptz);

create or replace function public.genome_set_alert_status(
    p_alert_id bigint, p_status text, p_by text, p_note text, p_at timestamptz default null
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
    if lower(btrim(p_by)) = 'system' then
        raise exception using errcode = '22023',
            message = '"system" names the changes validation makes: give the operator''s own name';
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

create or replace function public.genome_set_alert_status(
    p_alert_id bigint, p_status text, p_note text default ''
) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
    v_user uuid := auth.uid();
    v_role text;
begin
    if v_user is null then
        raise exception using errcode = '42501', message = 'sign in to acknowledge or resolve alerts';
    end if;
    select m.role into v_role
      from public.system_alerts a
      join public.brands b on b.id = a.brand_id
      join public.organization_members m on m.organization_id = b.organization_id and m.user_id = v_user
     where a.id = p_alert_id;
    if not found then
        raise exception using errcode = 'P0002', message = format('no alert %s', p_alert_id);
    end if;
    if v_role not in ('operator', 'admin') then
        raise exception using errcode = '42501',
            message = 'a viewer cannot acknowledge or resolve alerts: ask an admin of your organization to make you an operator';
    end if;
    return public.genome_set_alert_status(p_alert_id, p_status, v_user::text, p_note, now());
end
$$;

revoke all on function public.genome_set_alert_status(bigint, text, text, text, timestamptz) from public, anon, authenticated;
grant execute on function public.genome_set_alert_status(bigint, text, text, text, timestamptz) to service_role;
revoke all on function public.genome_set_alert_status(bigint, text, text) from public, anon, service_role;
grant execute on function public.genome_set_alert_status(bigint, text, text) to authenticated;
