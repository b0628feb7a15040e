-- 0005_reward_rows.sql — the row type of the rewards a refresh writes, one per rewarded ad (the
-- columns of genome/store/payloads.py REWARD_PAYLOAD). genome_apply_refresh reads them from a temp
-- table of this type, genome_staged_rewards: the postgres backend fills it with a binary COPY (no JSON
-- to format or parse), the supabase backend sends them as JSON, which the function loads into it.

create type public.genome_reward_row as (
    ad_id text, brand_id text, reward_score double precision, ctr double precision,
    conversion_rate double precision, roas double precision, ctr_score double precision,
    conversion_score double precision, roas_score double precision, ctr_weight double precision,
    conversion_weight double precision, roas_weight double precision, campaign_objective text,
    maturity text, impressions_at_reward double precision, matured_at date
);
