-- genome_delete_ad_rows(): the triggers generated_ads_rows_deleted (after delete, for each statement)
-- and generated_ads_rows_truncated (after truncate; created below) delete the daily rows and element
-- rows of the ads deleted (the transition table `removed`), or all of them, as `on delete cascade` did
-- before 0004 replaced those foreign keys by genome_refuse_unknown_ads.
-- SECURITY INVOKER, search_path ''; no role may execute it directly. The triggers live here because they
-- need this function to exist. Applied by `migrate`, again whenever this file changes.

create or replace function public.genome_delete_ad_rows() returns trigger
language plpgsql volatile security invoker
set search_path = ''
as $$
begin
    if tg_op = 'TRUNCATE' then
        truncate public.ad_performance, public.generated_ad_elements;
    else
        delete from public.ad_performance p using removed r where p.generated_ad_id = r.id;
        delete from public.generated_ad_elements e using removed r where e.generated_ad_id = r.id;
    end if;
    return null;
end
$$;

revoke all on function public.genome_delete_ad_rows() from public, anon, authenticated, service_role;

drop trigger if exists generated_ads_rows_deleted on public.generated_ads;
create trigger generated_ads_rows_deleted after delete on public.generated_ads
    referencing old table as removed for each statement execute function public.genome_delete_ad_rows();
drop trigger if exists generated_ads_rows_truncated on public.generated_ads;
create trigger generated_ads_rows_truncated after truncate on public.generated_ads
    for each statement execute function public.genome_delete_ad_rows();
