-- genome_store_rewards(p_brand_ids text[]) returns bigint[] (new, updated, unchanged, removed)
-- The rewards staged in pg_temp.genome_staged_rewards (genome_apply_refresh stages them) written for
-- the ads of p_brand_ids: new ones inserted, changed ones updated (computed_at = now()), unchanged
-- ones kept with their computed_at; stored rewards of those brands that are not staged deleted.
-- Called only by genome_apply_refresh, inside its job.

create or replace function public.genome_store_rewards(p_brand_ids text[])
returns bigint[]
language plpgsql volatile security invoker
set search_path = '' set timezone = 'UTC'
as $$
declare
    v_new bigint; v_updated bigint; v_unchanged bigint; v_removed bigint;
begin
    -- rewards: new ones inserted, changed ones updated, unchanged ones kept with their computed_at
    -- (a plain insert and an update by join: no speculative insertion per row as `on conflict` makes)
    with incoming as (
        select r.ad_id, a.brand_id, r.reward_score,
               jsonb_build_object(
                   'ctr', r.ctr, 'conversion_rate', r.conversion_rate, 'roas', r.roas,
                   'ctr_score', r.ctr_score, 'conversion_score', r.conversion_score,
                   'roas_score', r.roas_score, 'ctr_weight', r.ctr_weight,
                   'conversion_weight', r.conversion_weight, 'roas_weight', r.roas_weight
               ) as reward_components,
               coalesce(r.campaign_objective, '') as campaign_objective,
               r.maturity,
               coalesce(r.impressions_at_reward, 0)::bigint as impressions_at_reward,
               r.matured_at
        from pg_temp.genome_staged_rewards r
        join public.generated_ads a on a.id = r.ad_id and a.brand_id = any (p_brand_ids)
    ), classified as (
        select i.*,
               case when c.generated_ad_id is null then 'new'
                    when (c.brand_id, c.reward_score, c.reward_components, c.campaign_objective, c.maturity,
                          c.impressions_at_reward, c.matured_at)
                         is distinct from (i.brand_id, i.reward_score, i.reward_components,
                                           i.campaign_objective, i.maturity, i.impressions_at_reward,
                                           i.matured_at) then 'updated'
                    else 'unchanged' end as outcome
        from incoming i
        left join public.creative_element_rewards c on c.generated_ad_id = i.ad_id
    ), inserted as (
        insert into public.creative_element_rewards
            (generated_ad_id, brand_id, reward_score, reward_components, campaign_objective, maturity,
             impressions_at_reward, matured_at, computed_at)
        select ad_id, brand_id, reward_score, reward_components, campaign_objective, maturity,
               impressions_at_reward, matured_at, now()
        from classified where outcome = 'new'
    ), updated as (
        update public.creative_element_rewards as c
           set brand_id = i.brand_id, reward_score = i.reward_score,
               reward_components = i.reward_components, campaign_objective = i.campaign_objective,
               maturity = i.maturity, impressions_at_reward = i.impressions_at_reward,
               matured_at = i.matured_at, computed_at = now()
          from classified i
         where i.outcome = 'updated' and c.generated_ad_id = i.ad_id
    )
    select count(*) filter (where outcome = 'new'), count(*) filter (where outcome = 'updated'),
           count(*) filter (where outcome = 'unchanged')
      into v_new, v_updated, v_unchanged
      from classified;

    delete from public.creative_element_rewards c
     where c.brand_id = any (p_brand_ids)
       and not exists (
           select 1 from pg_temp.genome_staged_rewards r where r.ad_id = c.generated_ad_id);
    get diagnostics v_removed = row_count;
    return array[v_new, v_updated, v_unchanged, v_removed];
end
$$;

revoke all on function public.genome_store_rewards(text[]) from public, anon, authenticated;
grant execute on function public.genome_store_rewards(text[]) to service_role;
