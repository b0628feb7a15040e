"""What the migrations must create: the tables, and those the `authenticated` role may read."""

TABLES = (
    "schema_migrations",
    "brands",
    "generated_ads",
    "ad_performance",
    "creative_element_rewards",
    "creative_element_scores",
    "creative_element_score_history",
    "system_alerts",
    "system_alert_events",
    "health_metric_history",
    "genome_job_runs",
    "ad_performance_totals",
    "generated_ad_elements",
    "organization_members",
)
AUTHENTICATED_READS = frozenset(
    {
        "brands",
        "creative_element_scores",
        "creative_element_score_history",
        "system_alerts",
        "system_alert_events",
        "health_metric_history",
        "organization_members",
    }
)
