-- 0001_baseline.sql (SQLite) — every table, index and trigger of a workspace file. The same tables
-- and columns as genome/migrations/postgres/0001_baseline.sql (tests/test_schema_parity.py compares
-- them). Applied by genome/store/sqlite.py when a file is created; `pragma user_version` holds the
-- number of the last numbered file applied. Timestamps are ISO 8601 UTC text
-- ('2026-11-26T14:00:00.000000Z'), dates 'YYYY-MM-DD', JSON as text, booleans 0/1.

create table brands (
    id text primary key check (id <> ''),
    name text not null,
    organization_id text,
    cross_brand_sharing integer not null default 0 check (cross_brand_sharing in (0, 1)),
    created_at text not null
);

create table generated_ads (
    id text primary key check (id <> ''),
    brand_id text not null references brands (id) on delete cascade,
    element_tags text not null default '{}',
    pre_gen_score real,
    final_status text not null default 'pending',
    is_imported integer not null default 0 check (is_imported in (0, 1)),
    created_at text not null,
    constraint generated_ads_tags_object check (json_valid(element_tags) and json_type(element_tags) = 'object'),
    constraint generated_ads_score_range check (pre_gen_score >= 0 and pre_gen_score <= 1),
    constraint generated_ads_final_status check (
        final_status in ('approved', 'rejected', 'flagged', 'pending', 'generation_failed')
    )
);
create index generated_ads_brand_created on generated_ads (brand_id, created_at);
-- the brand overview counts by status through this index alone (covering); brand_stats reads
-- the approval window along generated_ads_brand_created
create index generated_ads_brand_status on generated_ads (brand_id, final_status);

create table ad_performance (
    generated_ad_id text not null references generated_ads (id) on delete cascade,
    date text not null,
    impressions integer not null default 0,
    clicks integer not null default 0,
    conversions integer not null default 0,
    spend real not null default 0,
    revenue real not null default 0,
    campaign_objective text,
    primary key (generated_ad_id, date),
    -- conversions may exceed clicks: platforms count view-through conversions
    constraint ad_performance_counts check (impressions >= 0 and clicks >= 0 and conversions >= 0),
    constraint ad_performance_clicks check (clicks <= impressions),
    constraint ad_performance_money check (spend >= 0 and revenue >= 0)
) without rowid;
create index ad_performance_date on ad_performance (date);

-- Derived at import, never written otherwise: each ad's daily rows summed (the objective of its latest
-- day that names one), so reading ad aggregates costs one row per ad, not one per day. Rebuilt for
-- the ads an import touches (genome/store/sqlite_writes.py TOTALS_SQL).
create table ad_performance_totals (
    generated_ad_id text primary key references generated_ads (id) on delete cascade,
    impressions integer not null,
    clicks integer not null,
    conversions integer not null,
    spend real not null,
    revenue real not null,
    first_date text not null,
    last_date text not null,
    campaign_objective text not null
) without rowid;

-- Derived at import: each ad's scalar element tags, one row per (ad, element), so reads parse no JSON.
-- Keyed by (brand, element, value): a brand's ads of each value are one range, read as one JSON list.
create table generated_ad_elements (
    brand_id text not null,
    element_name text not null,
    element_value text not null,
    generated_ad_id text not null references generated_ads (id) on delete cascade,
    primary key (brand_id, element_name, element_value, generated_ad_id)
) without rowid;
create unique index generated_ad_elements_ad on generated_ad_elements (generated_ad_id, element_name);

create table creative_element_rewards (
    generated_ad_id text primary key references generated_ads (id) on delete cascade,
    brand_id text not null references brands (id) on delete cascade,
    reward_score real not null,
    reward_components text not null default '{}' check (json_valid(reward_components)),
    campaign_objective text not null default '',
    maturity text not null,
    impressions_at_reward integer not null default 0, -- the ad's impressions up to the refresh's as_of
    matured_at text,
    computed_at text not null,
    constraint rewards_score_range check (reward_score >= 0 and reward_score <= 1),
    constraint rewards_maturity check (maturity in ('ctr', 'ctr+conversion', 'ctr+roas', 'full')),
    constraint rewards_impressions check (impressions_at_reward >= 0)
);
create index rewards_brand on creative_element_rewards (brand_id, reward_score);

create table creative_element_scores (
    brand_id text not null references brands (id) on delete cascade,
    element_name text not null,
    element_value text not null,
    alpha real not null,
    beta real not null,
    prior_alpha real not null default 1,
    prior_beta real not null default 1,
    prior_source text not null default 'uniform',
    total_observations real not null default 0,
    mean_reward real not null,
    last_updated text not null,
    primary key (brand_id, element_name, element_value),
    constraint scores_positive check (alpha > 0 and beta > 0 and prior_alpha > 0 and prior_beta > 0),
    constraint scores_observations check (total_observations >= 0),
    constraint scores_mean_range check (mean_reward >= 0 and mean_reward <= 1),
    constraint scores_prior_source check (prior_source in ('uniform', 'organization', 'network'))
);

create table genome_job_runs (
    id integer primary key autoincrement,
    job_type text not null,
    brand_id text,
    started_at text not null,
    finished_at text,
    status text not null default 'running',
    summary text not null default '{}' check (json_valid(summary)),
    error text,
    constraint job_runs_type check (
        job_type in ('refresh', 'validate', 'import_ads', 'import_performance')
    ),
    constraint job_runs_status check (status in ('running', 'succeeded', 'failed'))
);
create index job_runs_started on genome_job_runs (started_at desc);
create index job_runs_type_status on genome_job_runs (job_type, status, finished_at);

create table creative_element_score_history (
    id integer primary key autoincrement,
    brand_id text not null references brands (id) on delete cascade,
    element_name text not null,
    element_value text not null,
    as_of text not null,
    alpha real not null,
    beta real not null,
    mean_reward real not null,
    total_observations real not null default 0,
    job_run_id integer references genome_job_runs (id) on delete set null,
    constraint score_history_key unique (brand_id, element_name, element_value, as_of),
    constraint score_history_positive check (alpha > 0 and beta > 0 and total_observations >= 0),
    constraint score_history_mean_range check (mean_reward >= 0 and mean_reward <= 1)
);
create index score_history_brand_as_of on creative_element_score_history (brand_id, as_of);

create table system_alerts (
    id integer primary key autoincrement,
    brand_id text not null references brands (id) on delete cascade,
    alert_type text not null,
    severity text not null,
    status text not null default 'open',
    metric_value real,
    threshold_value real,
    message text not null default '',
    first_seen_at text not null,
    last_seen_at text not null,
    occurrences integer not null default 1,
    acknowledged_by text,
    acknowledged_at text,
    ack_note text,
    resolved_by text,
    resolved_at text,
    resolution_note text,
    as_of text, -- the validation date that last opened, updated or resolved it
    constraint alerts_severity check (severity in ('warning', 'critical')),
    constraint alerts_status check (status in ('open', 'acknowledged', 'resolved')),
    constraint alerts_occurrences check (occurrences >= 1),
    constraint alerts_resolved_at check ((status = 'resolved') = (resolved_at is not null)),
    constraint alerts_acknowledged_at check (status <> 'acknowledged' or acknowledged_at is not null)
);
-- at most one unresolved alert per (brand, alert_type)
create unique index alerts_one_unresolved
    on system_alerts (brand_id, alert_type) where status <> 'resolved';
create index alerts_status_brand on system_alerts (status, brand_id);

create table health_metric_history (
    id integer primary key autoincrement,
    as_of text not null,
    brand_id text not null references brands (id) on delete cascade,
    metric_name text not null,
    metric_value real,
    warning real,
    critical real,
    constraint metric_history_key unique (brand_id, metric_name, as_of)
);
create index metric_history_as_of on health_metric_history (as_of);

-- Every change of an alert, appended by the triggers below and never updated:
-- opened, escalated (warning -> critical), reopened (acknowledged -> open on escalation),
-- acknowledged, resolved (by an operator), auto_resolved (by the system when the metric recovered).
create table system_alert_events (
    id integer primary key autoincrement,
    alert_id integer not null references system_alerts (id) on delete cascade,
    brand_id text not null references brands (id) on delete cascade,
    kind text not null,
    actor text not null,
    occurred_at text not null,
    note text not null default '',
    severity text,
    metric_value real,
    as_of text,
    constraint alert_events_kind check (
        kind in ('opened', 'escalated', 'reopened', 'acknowledged', 'resolved', 'auto_resolved')
    )
);
create index alert_events_alert on system_alert_events (alert_id, id);
create index alert_events_brand on system_alert_events (brand_id, id);

create trigger alert_events_append_only before update on system_alert_events
begin
    select raise(abort, 'the alert event history is append-only');
end;

create trigger alert_events_opened after insert on system_alerts
begin
    insert into system_alert_events (alert_id, brand_id, kind, actor, occurred_at, note, severity, metric_value, as_of)
    values (new.id, new.brand_id, 'opened', 'system', new.first_seen_at, new.message, new.severity,
            new.metric_value, new.as_of);
end;

create trigger alert_events_changed after update on system_alerts
begin
    insert into system_alert_events (alert_id, brand_id, kind, actor, occurred_at, note, severity, metric_value, as_of)
    select new.id, new.brand_id, 'escalated', 'system', new.last_seen_at, new.message, new.severity,
           new.metric_value, new.as_of
    where old.severity = 'warning' and new.severity = 'critical';
    insert into system_alert_events (alert_id, brand_id, kind, actor, occurred_at, note, severity, metric_value, as_of)
    select new.id, new.brand_id, 'reopened', 'system', new.last_seen_at, new.message, new.severity,
           new.metric_value, new.as_of
    where old.status = 'acknowledged' and new.status = 'open';
    insert into system_alert_events (alert_id, brand_id, kind, actor, occurred_at, note, severity, metric_value, as_of)
    select new.id, new.brand_id, 'acknowledged', coalesce(new.acknowledged_by, ''), new.acknowledged_at,
           coalesce(new.ack_note, ''), new.severity, new.metric_value, null
    where new.status = 'acknowledged'
      and (new.acknowledged_by, new.acknowledged_at, new.ack_note)
          is not (old.acknowledged_by, old.acknowledged_at, old.ack_note);
    insert into system_alert_events (alert_id, brand_id, kind, actor, occurred_at, note, severity, metric_value, as_of)
    select new.id, new.brand_id, case when new.resolved_by = 'system' then 'auto_resolved' else 'resolved' end,
           coalesce(new.resolved_by, ''), new.resolved_at, coalesce(new.resolution_note, ''), new.severity,
           new.metric_value, case when new.resolved_by = 'system' then new.as_of end
    where old.status <> 'resolved' and new.status = 'resolved';
end;
