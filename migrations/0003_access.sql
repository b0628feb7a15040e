-- 0003_access.sql — roles, grants and row level security policies (Supabase's model, also valid on
-- plain Postgres). anon: nothing. authenticated (operators and marketers signed in to the project):
-- read brands, scores, score history, alerts and health metrics; acknowledge / resolve alerts
-- through the alert columns only. service_role (the backends): everything. Safe to run twice.

do $$
begin
    if not exists (select 1 from pg_catalog.pg_roles where rolname = 'anon') then
        create role anon nologin noinherit;
    end if;
    if not exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticated') then
        create role authenticated nologin noinherit;
    end if;
    if not exists (select 1 from pg_catalog.pg_roles where rolname = 'service_role') then
        create role service_role nologin noinherit;
    end if;
end
$$;

grant usage on schema public to authenticated, service_role;

-- --- table privileges: start from nothing (Supabase's default privileges grant anon and
-- authenticated everything on new tables), then grant what each role needs.
revoke all on table
    public.schema_migrations, public.brands, public.generated_ads, public.ad_performance,
    public.creative_element_rewards, public.creative_element_scores, public.genome_job_runs,
    public.creative_element_score_history, public.system_alerts, public.health_metric_history
    from public, anon, authenticated;

grant select on table
    public.brands, public.creative_element_scores, public.creative_element_score_history,
    public.system_alerts, public.health_metric_history
    to authenticated;
grant update (status, acknowledged_by, acknowledged_at, ack_note, resolved_by, resolved_at, resolution_note)
    on table public.system_alerts to authenticated;

grant select, insert, update, delete on table
    public.schema_migrations, public.brands, public.generated_ads, public.ad_performance,
    public.creative_element_rewards, public.creative_element_scores, public.genome_job_runs,
    public.creative_element_score_history, public.system_alerts, public.health_metric_history
    to service_role;
grant usage, select on sequence
    public.genome_job_runs_id_seq, public.creative_element_score_history_id_seq,
    public.system_alerts_id_seq, public.health_metric_history_id_seq
    to service_role;
revoke all on sequence
    public.genome_job_runs_id_seq, public.creative_element_score_history_id_seq,
    public.system_alerts_id_seq, public.health_metric_history_id_seq
    from anon, authenticated;

-- --- function privileges: functions are SECURITY INVOKER, so a caller also needs the table grants.
revoke all on function
    public.genome_ad_aggregates(text[], date),
    public.genome_ad_elements(text[], text[]),
    public.genome_brand_overview(double precision),
    public.genome_record_job(text, text[], text, timestamptz, jsonb, text),
    public.genome_save_brands(jsonb),
    public.genome_import_ads(jsonb, timestamptz),
    public.genome_import_performance(jsonb, timestamptz),
    public.genome_apply_refresh(text[], date, jsonb, jsonb, jsonb, timestamptz),
    public.genome_apply_validation(text[], date, jsonb, jsonb, jsonb, timestamptz),
    public.genome_set_alert_status(bigint, text, text, text, timestamptz)
    from public, anon, authenticated;
grant execute on function
    public.genome_ad_aggregates(text[], date),
    public.genome_ad_elements(text[], text[]),
    public.genome_brand_overview(double precision),
    public.genome_record_job(text, text[], text, timestamptz, jsonb, text),
    public.genome_save_brands(jsonb),
    public.genome_import_ads(jsonb, timestamptz),
    public.genome_import_performance(jsonb, timestamptz),
    public.genome_apply_refresh(text[], date, jsonb, jsonb, jsonb, timestamptz),
    public.genome_apply_validation(text[], date, jsonb, jsonb, jsonb, timestamptz),
    public.genome_set_alert_status(bigint, text, text, text, timestamptz)
    to service_role;
grant execute on function public.genome_set_alert_status(bigint, text, text, text, timestamptz)
    to authenticated;

-- --- row level security policies (RLS itself is enabled in 0001 as each table is created).
-- service_role bypasses RLS on Supabase; on plain Postgres these policies give it the same reach.
do $$
declare
    t text;
begin
    foreach t in array array[
        'schema_migrations', 'brands', 'generated_ads', 'ad_performance', 'creative_element_rewards',
        'creative_element_scores', 'genome_job_runs', 'creative_element_score_history',
        'system_alerts', 'health_metric_history'
    ] loop
        execute format('alter table public.%I enable row level security', t);
        execute format('drop policy if exists service_role_all on public.%I', t);
        execute format(
            'create policy service_role_all on public.%I for all to service_role using (true) with check (true)',
            t);
    end loop;
    foreach t in array array[
        'brands', 'creative_element_scores', 'creative_element_score_history', 'system_alerts',
        'health_metric_history'
    ] loop
        execute format('drop policy if exists authenticated_read on public.%I', t);
        execute format('create policy authenticated_read on public.%I for select to authenticated using (true)', t);
    end loop;
end
$$;

drop policy if exists authenticated_alert_status on public.system_alerts;
create policy authenticated_alert_status on public.system_alerts
    for update to authenticated
    using (status <> 'resolved')
    with check (status in ('acknowledged', 'resolved'));
