-- 0001_baseline.sql — every table, index, constraint, role, grant and row level security policy.
--
-- Tables have the same names and columns as the SQLite baseline (genome/migrations/sqlite/0001_baseline.sql).
-- The SQL functions live one per file in functions/ (applied after the numbered files, and again
-- whenever a function file changes); their grants are in their own files. The alert event triggers
-- are created with their trigger functions (functions/genome_record_alert_event.sql,
-- functions/genome_refuse_alert_event_change.sql), as a trigger needs its function to exist.
--
-- Access (Supabase's model, also valid on plain Postgres). anon: nothing. authenticated (operators
-- and marketers signed in to the project): read brands, scores, score history, alerts, alert events
-- and health metrics; acknowledge / resolve alerts through the alert columns only. service_role (the
-- backends): everything but writing the alert events, which only the trigger writes.

create table if not exists public.schema_migrations (
    version text primary key,
    checksum text not null,
    applied_at timestamptz not null default now()
);

create table public.brands (
    id text primary key check (id <> ''),
    name text not null,
    organization_id text,
    cross_brand_sharing boolean not null default false,
    created_at timestamptz not null default now()
);

create table public.generated_ads (
    id text primary key check (id <> ''),
    brand_id text not null references public.brands (id) on delete cascade,
    element_tags jsonb not null default '{}'::jsonb,
    pre_gen_score double precision,
    final_status text not null default 'pending',
    is_imported boolean not null default false,
    created_at timestamptz not null default now(),
    constraint generated_ads_tags_object check (jsonb_typeof(element_tags) = 'object'),
    constraint generated_ads_score_range check (pre_gen_score >= 0 and pre_gen_score <= 1),
    constraint generated_ads_final_status check (
        final_status in ('approved', 'rejected', 'flagged', 'pending', 'generation_failed')
    )
);
create index generated_ads_brand_created on public.generated_ads (brand_id, created_at);
create index generated_ads_brand_status on public.generated_ads (brand_id, final_status);

create table public.ad_performance (
    generated_ad_id text not null references public.generated_ads (id) on delete cascade,
    date date not null,
    impressions bigint not null default 0,
    clicks bigint not null default 0,
    conversions bigint not null default 0,
    spend double precision not null default 0,
    revenue double precision not null default 0,
    campaign_objective text,
    primary key (generated_ad_id, date),
    constraint ad_performance_counts check (impressions >= 0 and clicks >= 0 and conversions >= 0),
    constraint ad_performance_clicks check (clicks <= impressions),
    constraint ad_performance_money check (spend >= 0 and revenue >= 0)
);
create index ad_performance_date on public.ad_performance (date);

create table public.creative_element_rewards (
    generated_ad_id text primary key references public.generated_ads (id) on delete cascade,
    brand_id text not null references public.brands (id) on delete cascade,
    reward_score double precision not null,
    reward_components jsonb not null default '{}'::jsonb,
    campaign_objective text not null default '',
    maturity text not null,
    impressions_at_reward bigint not null default 0,
    matured_at date,
    computed_at timestamptz not null default now(),
    constraint rewards_score_range check (reward_score >= 0 and reward_score <= 1),
    constraint rewards_maturity check (maturity in ('ctr', 'ctr+conversion', 'ctr+roas', 'full')),
    constraint rewards_impressions check (impressions_at_reward >= 0)
);
create index rewards_brand on public.creative_element_rewards (brand_id, reward_score);

create table public.creative_element_scores (
    brand_id text not null references public.brands (id) on delete cascade,
    element_name text not null,
    element_value text not null,
    alpha double precision not null,
    beta double precision not null,
    prior_alpha double precision not null default 1,
    prior_beta double precision not null default 1,
    prior_source text not null default 'uniform',
    total_observations double precision not null default 0,
    mean_reward double precision not null,
    last_updated timestamptz not null default now(),
    primary key (brand_id, element_name, element_value),
    constraint scores_positive check (alpha > 0 and beta > 0 and prior_alpha > 0 and prior_beta > 0),
    constraint scores_observations check (total_observations >= 0),
    constraint scores_mean_range check (mean_reward >= 0 and mean_reward <= 1),
    constraint scores_prior_source check (prior_source in ('uniform', 'organization', 'network'))
);

create table public.genome_job_runs (
    id bigint generated always as identity primary key,
    job_type text not null,
    brand_id text,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    status text not null default 'running',
    summary jsonb not null default '{}'::jsonb,
    error text,
    constraint job_runs_type check (
        job_type in ('refresh', 'validate', 'import_ads', 'import_performance')
    ),
    constraint job_runs_status check (status in ('running', 'succeeded', 'failed'))
);
create index job_runs_started on public.genome_job_runs (started_at desc);
create index job_runs_type_status on public.genome_job_runs (job_type, status, finished_at);

create table public.creative_element_score_history (
    id bigint generated always as identity primary key,
    brand_id text not null references public.brands (id) on delete cascade,
    element_name text not null,
    element_value text not null,
    as_of date not null,
    alpha double precision not null,
    beta double precision not null,
    mean_reward double precision not null,
    total_observations double precision not null default 0,
    job_run_id bigint references public.genome_job_runs (id) on delete set null,
    constraint score_history_key unique (brand_id, element_name, element_value, as_of),
    constraint score_history_positive check (alpha > 0 and beta > 0 and total_observations >= 0),
    constraint score_history_mean_range check (mean_reward >= 0 and mean_reward <= 1)
);
create index score_history_brand_as_of on public.creative_element_score_history (brand_id, as_of);

create table public.system_alerts (
    id bigint generated always as identity primary key,
    brand_id text not null references public.brands (id) on delete cascade,
    alert_type text not null,
    severity text not null,
    status text not null default 'open',
    metric_value double precision,
    threshold_value double precision,
    message text not null default '',
    first_seen_at timestamptz not null default now(),
    last_seen_at timestamptz not null default now(),
    occurrences integer not null default 1,
    acknowledged_by text,
    acknowledged_at timestamptz,
    ack_note text,
    resolved_by text,
    resolved_at timestamptz,
    resolution_note text,
    as_of date,
    constraint alerts_severity check (severity in ('warning', 'critical')),
    constraint alerts_status check (status in ('open', 'acknowledged', 'resolved')),
    constraint alerts_occurrences check (occurrences >= 1),
    constraint alerts_resolved_at check ((status = 'resolved') = (resolved_at is not null)),
    constraint alerts_acknowledged_at check (status <> 'acknowledged' or acknowledged_at is not null)
);
-- at most one unresolved alert per (brand, alert_type)
create unique index alerts_one_unresolved
    on public.system_alerts (brand_id, alert_type) where status <> 'resolved';
create index alerts_status_brand on public.system_alerts (status, brand_id);

create table public.health_metric_history (
    id bigint generated always as identity primary key,
    as_of date not null,
    brand_id text not null references public.brands (id) on delete cascade,
    metric_name text not null,
    metric_value double precision,
    warning double precision,
    critical double precision,
    constraint metric_history_key unique (brand_id, metric_name, as_of)
);
create index metric_history_as_of on public.health_metric_history (as_of);

-- Derived at import, never written otherwise (genome_import_performance, genome_import_ads rebuild
-- the rows of the ads they write): each ad's daily rows summed, campaign_objective = the objective of
-- its latest day that names one ('' if none); and each ad's scalar, non-empty tags, one row per
-- (ad, element), the value as its JSON text, keyed so a brand's ads of each value are one range.
create table public.ad_performance_totals (
    generated_ad_id text primary key references public.generated_ads (id) on delete cascade,
    impressions bigint not null,
    clicks bigint not null,
    conversions bigint not null,
    spend double precision not null,
    revenue double precision not null,
    first_date date not null,
    last_date date not null,
    campaign_objective text not null
);

create table public.generated_ad_elements (
    brand_id text not null,
    element_name text not null,
    element_value text not null,
    generated_ad_id text not null references public.generated_ads (id) on delete cascade,
    primary key (brand_id, element_name, element_value, generated_ad_id)
);
create unique index generated_ad_elements_ad on public.generated_ad_elements (generated_ad_id, element_name);

-- Every change of an alert, one row each: opened (actor 'system'), escalated (warning -> critical),
-- reopened (acknowledged -> open on escalation), acknowledged, resolved (by an operator), auto_resolved
-- (resolved_by 'system'). Written only by the trigger function genome_record_alert_event
-- (functions/genome_record_alert_event.sql), never updated (genome_refuse_alert_event_change); rows
-- go only with their alert.
create table public.system_alert_events (
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
create index alert_events_alert on public.system_alert_events (alert_id, id);
create index alert_events_brand on public.system_alert_events (brand_id, id);

-- === roles, grants and row level security =========================================================

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

-- table privileges: start from nothing (Supabase's default privileges grant anon and authenticated
-- everything on new tables), then grant what each role needs.
revoke all on table
    public.schema_migrations, public.brands, public.generated_ads, public.ad_performance,
    public.creative_element_rewards, public.creative_element_scores, public.genome_job_runs,
    public.creative_element_score_history, public.system_alerts, public.health_metric_history,
    public.ad_performance_totals, public.generated_ad_elements
    from public, anon, authenticated;
revoke all on table public.system_alert_events from public, anon, authenticated, service_role;

grant select on table
    public.brands, public.creative_element_scores, public.creative_element_score_history,
    public.system_alerts, public.health_metric_history, public.system_alert_events
    to authenticated;
grant update (status, acknowledged_by, acknowledged_at, ack_note, resolved_by, resolved_at, resolution_note)
    on table public.system_alerts to authenticated;

grant select, insert, update, delete on table
    public.schema_migrations, public.brands, public.generated_ads, public.ad_performance,
    public.creative_element_rewards, public.creative_element_scores, public.genome_job_runs,
    public.creative_element_score_history, public.system_alerts, public.health_metric_history,
    public.ad_performance_totals, public.generated_ad_elements
    to service_role;
grant select on table public.system_alert_events to service_role;
grant usage, select on sequence
    public.genome_job_runs_id_seq, public.creative_element_score_history_id_seq,
    public.system_alerts_id_seq, public.health_metric_history_id_seq
    to service_role;
revoke all on sequence
    public.genome_job_runs_id_seq, public.creative_element_score_history_id_seq,
    public.system_alerts_id_seq, public.health_metric_history_id_seq
    from anon, authenticated;
revoke all on sequence public.system_alert_events_id_seq from public, anon, authenticated, service_role;

-- row level security on every table. service_role bypasses it on Supabase; on plain Postgres these
-- policies give it the same reach.
do $$
declare
    t text;
begin
    foreach t in array array[
        'schema_migrations', 'brands', 'generated_ads', 'ad_performance', 'creative_element_rewards',
        'creative_element_scores', 'genome_job_runs', 'creative_element_score_history',
        'system_alerts', 'health_metric_history', 'ad_performance_totals', 'generated_ad_elements',
        'system_alert_events'
    ] loop
        execute format('alter table public.%I enable row level security', t);
        execute format(
            'create policy service_role_all on public.%I for all to service_role using (true) with check (true)',
            t);
    end loop;
    foreach t in array array[
        'brands', 'creative_element_scores', 'creative_element_score_history', 'system_alerts',
        'health_metric_history', 'system_alert_events'
    ] loop
        execute format('create policy authenticated_read on public.%I for select to authenticated using (true)', t);
    end loop;
end
$$;

create policy authenticated_alert_status on public.system_alerts
    for update to authenticated
    using (status <> 'resolved')
    with check (status in ('acknowledged', 'resolved'));
