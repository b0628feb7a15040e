-- genome_refuse_unknown_ads(): the triggers ad_performance_known_ads and generated_ad_elements_known_ads
-- (after insert, and after update, for each statement; created below) refuse a statement that writes
-- rows for an ad not in generated_ads (SQLSTATE 23503, the first five such ad ids named), and lock the
-- ads it writes rows for (`for key share`, as a foreign key does) so none is deleted before it commits.
-- One check per statement over its new rows (the transition table `added`), not one per row.
-- SECURITY INVOKER, search_path ''; no role may execute it directly. The triggers live here because they
-- need this function to exist, and the function files are applied after the numbered files (0004
-- dropped the per-row foreign keys). Applied by `migrate`, again whenever this file changes.

create or replace function public.genome_refuse_unknown_ads() returns trigger
language plpgsql volatile security invoker
set search_path = ''
as $$
declare
    v_ads text[];
    v_unknown text;
begin
    select array_agg(r.id) into v_ads from (select distinct n.generated_ad_id as id from added n) r;
    perform 1 from public.generated_ads a where a.id = any(v_ads) for key share;
    select string_agg(quote_literal(u.id), ', ' order by u.id) into v_unknown
      from (select w.id from unnest(v_ads) as w (id)
             where not exists (select 1 from public.generated_ads a where a.id = w.id)
             order by w.id limit 5) u;
    if v_unknown is not null then
        raise exception '% rows for ads that do not exist: %', tg_table_name, v_unknown
            using errcode = '23503', hint = 'import the ads first';
    end if;
    return null;
end
$$;

revoke all on function public.genome_refuse_unknown_ads() from public, anon, authenticated, service_role;

drop trigger if exists ad_performance_known_ads on public.ad_performance;
create trigger ad_performance_known_ads after insert on public.ad_performance
    referencing new table as added for each statement execute function public.genome_refuse_unknown_ads();
drop trigger if exists ad_performance_known_ads_update on public.ad_performance;
create trigger ad_performance_known_ads_update after update on public.ad_performance
    referencing new table as added for each statement execute function public.genome_refuse_unknown_ads();
drop trigger if exists generated_ad_elements_known_ads on public.generated_ad_elements;
create trigger generated_ad_elements_known_ads after insert on public.generated_ad_elements
    referencing new table as added for each statement execute function public.genome_refuse_unknown_ads();
drop trigger if exists generated_ad_elements_known_ads_update on public.generated_ad_elements;
create trigger generated_ad_elements_known_ads_update after update on public.generated_ad_elements
    referencing new table as added for each statement execute function public.genome_refuse_unknown_ads();
