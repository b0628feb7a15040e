-- 0002_tenancy.sql — tenant isolation and an audit trail clients cannot forge.
--
-- organization_members says who (a Supabase user id) belongs to which organization with which role:
-- viewer (reads), operator (also acknowledges and resolves alerts), admin (the same as operator here;
-- members are added with SQL by the service role or the owner, README "Storage and deployment").
-- Every policy for `authenticated` scopes rows to the brands of the caller's organizations, found
-- through auth.uid(): Supabase's own function, or where the `auth` schema is absent (plain Postgres) a
-- compatible one created here that reads `sub` from the `request.jwt.claims` setting as PostgREST sets
-- it. A brand with no organization is visible to no signed-in user; job runs and the migrations table
-- stay unreadable to them. A member reads their own membership rows, not their colleagues'.
--
-- Audit trail: `authenticated` loses every write; it acknowledges and resolves only through
-- genome_set_alert_status(p_alert_id, p_status, p_note) (functions/genome_set_alert_status.sql), which
-- checks the caller's role and stamps auth.uid() and now(). The service role's form of the function
-- takes the operator's name (the CLI and the dashboard). Names (acknowledged_by, resolved_by) hold at
-- most MAX_NAME_LENGTH = 100 characters and notes MAX_NOTE_LENGTH = 2000 (genome/service.py), with the
-- characters genome/text_rules.py forbids refused, for every role: existing rows are brought within
-- them first (forbidden characters shown as U+FFFD, as text_rules.printable does; the alert event
-- history keeps what was recorded).

-- === auth.uid() where Supabase's is absent ===================================================================
do $$
begin
    if to_regprocedure('auth.uid()') is null then
        create schema if not exists auth;
        create function auth.uid() returns uuid
        language sql stable
        set search_path = ''
        as $uid$
            select nullif(coalesce(current_setting('request.jwt.claim.sub', true),
                                   (current_setting('request.jwt.claims', true)::jsonb ->> 'sub')), '')::uuid
        $uid$;
        grant usage on schema auth to anon, authenticated, service_role;
        grant execute on function auth.uid() to anon, authenticated, service_role;
    end if;
end
$$;

-- === organizations =============================================================================================
create table public.organization_members (
    organization_id text not null check (organization_id <> ''),
    user_id uuid not null,
    role text not null,
    created_at timestamptz not null default now(),
    primary key (organization_id, user_id),
    constraint organization_members_role check (role in ('viewer', 'operator', 'admin'))
);
create index organization_members_user on public.organization_members (user_id, organization_id);
create index brands_organization on public.brands (organization_id);

revoke all on table public.organization_members from public, anon, authenticated;
grant select on table public.organization_members to authenticated;
grant select, insert, update, delete on table public.organization_members to service_role;
alter table public.organization_members enable row level security;
create policy service_role_all on public.organization_members
    for all to service_role using (true) with check (true);
create policy authenticated_own_membership on public.organization_members
    for select to authenticated using (user_id = (select auth.uid()));

-- === every read scoped to the caller's organizations ==========================================================
drop policy authenticated_alert_status on public.system_alerts;
revoke update on table public.system_alerts from authenticated;

drop policy authenticated_read on public.brands;
create policy authenticated_member_read on public.brands for select to authenticated using (
    organization_id in (
        select m.organization_id from public.organization_members m where m.user_id = (select auth.uid())
    )
);

do $$
declare
    t text;
begin
    foreach t in array array[
        'creative_element_scores', 'creative_element_score_history', 'system_alerts',
        'health_metric_history', 'system_alert_events'
    ] loop
        execute format('drop policy authenticated_read on public.%I', t);
        execute format(
            'create policy authenticated_member_read on public.%I for select to authenticated using ('
            ' brand_id in (select b.id from public.brands b join public.organization_members m'
            ' on m.organization_id = b.organization_id where m.user_id = (select auth.uid())))',
            t);
    end loop;
end
$$;

-- === names and notes of alerts: limits and forbidden characters, for every role ================================
do $$
declare
    -- genome/text_rules.py FORBIDDEN_IN_TEXT and FORBIDDEN_IN_NOTE (no NUL: Postgres text cannot hold one)
    name_chars constant text := '[\u0001-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u200b-\u200d\u2060\ufeff\u00ad\u180e\u2028\u2029\u2061-\u2064\U000e0000-\U000e007f]';
    note_chars constant text := '[\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u200b-\u200d\u2060\ufeff\u00ad\u180e\u2028\u2029\u2061-\u2064\U000e0000-\U000e007f]';
    max_name constant integer := 100;  -- MAX_NAME_LENGTH
    max_note constant integer := 2000;  -- MAX_NOTE_LENGTH
begin
    alter table public.system_alerts disable trigger user;  -- bringing old rows within is not an event
    update public.system_alerts
       set acknowledged_by = left(regexp_replace(acknowledged_by, name_chars, chr(65533), 'g'), max_name),
           resolved_by = left(regexp_replace(resolved_by, name_chars, chr(65533), 'g'), max_name),
           ack_note = left(regexp_replace(ack_note, note_chars, chr(65533), 'g'), max_note),
           resolution_note = left(regexp_replace(resolution_note, note_chars, chr(65533), 'g'), max_note)
     where acknowledged_by ~ name_chars or char_length(acknowledged_by) > max_name
        or resolved_by ~ name_chars or char_length(resolved_by) > max_name
        or ack_note ~ note_chars or char_length(ack_note) > max_note
        or resolution_note ~ note_chars or char_length(resolution_note) > max_note;
    alter table public.system_alerts enable trigger user;
    execute format(
        'alter table public.system_alerts add constraint alerts_names check ('
        ' char_length(acknowledged_by) <= %1$s and acknowledged_by !~ %2$L'
        ' and char_length(resolved_by) <= %1$s and resolved_by !~ %2$L)',
        max_name, name_chars);
    execute format(
        'alter table public.system_alerts add constraint alerts_notes check ('
        ' char_length(ack_note) <= %1$s and ack_note !~ %2$L'
        ' and char_length(resolution_note) <= %1$s and resolution_note !~ %2$L)',
        max_note, note_chars);
end
$$;
