-- 0001_schema.sql — tables, checks and indexes. Same table and column names as the SQLite schema
-- (genome/store/sqlite_schema.sql). Row level security is enabled here, as each table is created;
-- roles, grants and policies are in 0003_access.sql. Safe to run twice.

create table if not exists public.schema_migrations (
    version text primary key,
    checksum text not null,
    applied_at timestamptz not null default now()
);

create table if not exists public.brands (
    id text primary key check (id <> ''),
    name text not null,
    organization_id text,
    cross_brand_sharing boolean not null default false,
    created_at timestamptz not null default now()
);

create table if not exists public.generated_ads (
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
create index if not exists generated_ads_brand_created on public.generated_ads (brand_id, created_at);

create table if not exists public.ad_performance (
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
    constraint ad_performance_conversions check (conversions <= clicks),
    constraint ad_performance_money check (spend >= 0 and revenue >= 0)
);
create index if not exists ad_performance_date on public.ad_performance (date);

create table if not exists public.creative_element_rewards (
    generated_ad_id text primary key references public.generated_ads (id) on delete cascade,
    brand_id text not null references public.brands (id) on delete cascade,
    reward_score double precision not null,
    reward_components jsonb not null default '{}'::jsonb,
    campaign_objective text not null default '',
    maturity text not null,
    impressions_at_maturity bigint not null default 0,
    matured_at date,
    computed_at timestamptz not null default now(),
    constraint rewards_score_range check (reward_score >= 0 and reward_score <= 1),
    constraint rewards_maturity check (maturity in ('ctr', 'ctr+conversion', 'ctr+roas', 'full')),
    constraint rewards_impressions check (impressions_at_maturity >= 0)
);
create index if not exists rewards_brand on public.creative_element_rewards (brand_id, reward_score);

create table if not exists public.creative_element_scores (
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

create table if not exists public.genome_job_runs (
    id bigint generated always as identity primary key,
    job_type text not null,
    brand_id text,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    status text not null default 'running',
    summary jsonb not null default '{}'::jsonb,
    error text,
    constraint job_runs_type check (
        job_type in ('refresh', 'validate', 'import_ads', 'import_performance', 'demo')
    ),
    constraint job_runs_status check (status in ('running', 'succeeded', 'failed'))
);
create index if not exists job_runs_started on public.genome_job_runs (started_at desc);
create index if not exists job_runs_type_status on public.genome_job_runs (job_type, status, finished_at);

create table if not exists public.creative_element_score_history (
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
create index if not exists score_history_brand_as_of on public.creative_element_score_history (brand_id, as_of);

create table if not exists public.system_alerts (
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
    constraint alerts_severity check (severity in ('warning', 'critical')),
    constraint alerts_status check (status in ('open', 'acknowledged', 'resolved')),
    constraint alerts_occurrences check (occurrences >= 1),
    constraint alerts_resolved_at check ((status = 'resolved') = (resolved_at is not null)),
    constraint alerts_acknowledged_at check (status <> 'acknowledged' or acknowledged_at is not null)
);
-- at most one unresolved alert per (brand, alert_type)
create unique index if not exists alerts_one_unresolved
    on public.system_alerts (brand_id, alert_type) where status <> 'resolved';
create index if not exists alerts_status_brand on public.system_alerts (status, brand_id);

create table if not exists public.health_metric_history (
    id bigint generated always as identity primary key,
    as_of date not null,
    brand_id text not null references public.brands (id) on delete cascade,
    metric_name text not null,
    metric_value double precision,
    warning double precision,
    critical double precision,
    constraint metric_history_key unique (brand_id, metric_name, as_of)
);
create index if not exists metric_history_as_of on public.health_metric_history (as_of);

alter table public.schema_migrations enable row level security;
alter table public.brands enable row level security;
alter table public.generated_ads enable row level security;
alter table public.ad_performance enable row level security;
alter table public.creative_element_rewards enable row level security;
alter table public.creative_element_scores enable row level security;
alter table public.genome_job_runs enable row level security;
alter table public.creative_element_score_history enable row level security;
alter table public.system_alerts enable row level security;
alter table public.health_metric_history enable row level security;
