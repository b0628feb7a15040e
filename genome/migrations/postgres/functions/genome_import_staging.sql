-- genome_import_staging(p_job_type text) returns void
-- Creates (or empties) the staging table an import of `p_job_type` reads, dropped at commit:
--   'import_ads': pg_temp.genome_staged_ads (ad_id, brand_id, element_tags (JSON text), pre_gen_score,
--                 final_status, is_imported, created_at)
--   'import_performance': pg_temp.genome_staged_performance (ad_id, date, impressions, clicks,
--                 conversions, spend, revenue, campaign_objective); counts as float8, made bigint on write
-- `ord` numbers the rows in the order given, so the last of two rows with one key wins.
-- Called by: genome/store/postgres.py _write_import (then COPY, genome/store/pg_copy.py), and
-- genome_import_ads / genome_import_performance when given their rows as jsonb.
-- SECURITY INVOKER, search_path ''; execute for service_role only.
-- Applied by `migrate` after the numbered files, again whenever this file changes.

create or replace function public.genome_import_staging(p_job_type text)
returns void
language plpgsql volatile security invoker
set search_path = ''
as $$
begin
    if p_job_type = 'import_ads' then
        create temp table if not exists genome_staged_ads (
            ord bigint not null, ad_id text, brand_id text, element_tags text,
            pre_gen_score double precision, final_status text, is_imported boolean, created_at timestamptz
        ) on commit drop;
        truncate pg_temp.genome_staged_ads;
    elsif p_job_type = 'import_performance' then
        create temp table if not exists genome_staged_performance (
            ord bigint not null, ad_id text, date date,
            impressions double precision, clicks double precision, conversions double precision,
            spend double precision, revenue double precision, campaign_objective text
        ) on commit drop;
        truncate pg_temp.genome_staged_performance;
    else
        raise exception 'no staging table for %', p_job_type using errcode = '22023';
    end if;
end
$$;

revoke all on function public.genome_import_staging(text) from public, anon, authenticated;
grant execute on function public.genome_import_staging(text) to service_role;
