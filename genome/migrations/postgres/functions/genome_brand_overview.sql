-- genome_brand_overview(p_winner_threshold double precision default 0.7)
-- One row per brand: (brand_id, name, organization_id, ads, matured_ads, approved, rejected,
-- open_alerts, acknowledged_alerts, winner_rate, last_refresh). matured_ads = rewards of the brand;
-- winner_rate = the share of them with reward_score >= p_winner_threshold (null when none);
-- open_alerts / acknowledged_alerts = alerts in that status (as the Alerts page counts); last_refresh = finished_at of the latest succeeded refresh whose summary.brand_ids
-- holds the brand. Ordered by brand_id.

drop function if exists public.genome_brand_overview(double precision);  -- its columns changed
create or replace function public.genome_brand_overview(p_winner_threshold double precision default 0.7)
returns table (
    brand_id text, name text, organization_id text, ads bigint, matured_ads bigint, approved bigint,
    rejected bigint, open_alerts bigint, acknowledged_alerts bigint, winner_rate double precision, last_refresh timestamptz
)
language sql stable security invoker
set search_path = ''
as $$
    with ad_counts as (
        select a.brand_id, count(*) as ads,
               count(*) filter (where a.final_status = 'approved') as approved,
               count(*) filter (where a.final_status = 'rejected') as rejected
        from public.generated_ads a group by a.brand_id
    ), reward_counts as (
        select r.brand_id, count(*) as matured,
               count(*) filter (where r.reward_score >= p_winner_threshold) as winners
        from public.creative_element_rewards r group by r.brand_id
    ), alert_counts as (
        select s.brand_id, count(*) filter (where s.status = 'open') as open,
               count(*) filter (where s.status = 'acknowledged') as acknowledged
        from public.system_alerts s where s.status <> 'resolved' group by s.brand_id
    ), refreshes as (
        select refreshed.brand_id, max(j.finished_at) as last_refresh
        from public.genome_job_runs j
        cross join lateral jsonb_array_elements_text(
            case when jsonb_typeof(j.summary -> 'brand_ids') = 'array' then j.summary -> 'brand_ids'
                 else '[]'::jsonb end
        ) as refreshed (brand_id)
        where j.job_type = 'refresh' and j.status = 'succeeded'
        group by refreshed.brand_id
    )
    select b.id, b.name, b.organization_id,
           coalesce(ad_counts.ads, 0), coalesce(reward_counts.matured, 0),
           coalesce(ad_counts.approved, 0), coalesce(ad_counts.rejected, 0),
           coalesce(alert_counts.open, 0), coalesce(alert_counts.acknowledged, 0),
           reward_counts.winners::double precision / nullif(reward_counts.matured, 0),
           refreshes.last_refresh
    from public.brands b
    left join ad_counts on ad_counts.brand_id = b.id
    left join reward_counts on reward_counts.brand_id = b.id
    left join alert_counts on alert_counts.brand_id = b.id
    left join refreshes on refreshes.brand_id = b.id
    order by b.id
$$;

revoke all on function public.genome_brand_overview(double precision) from public, anon, authenticated;
grant execute on function public.genome_brand_overview(double precision) to service_role;
