-- genome_known_ad_ids(p_ad_ids text[]) returns setof text
-- The ids of p_ad_ids that are generated_ads, each once, in order: one row per known id, so a REST
-- client (the supabase backend) sending at most max-rows ids per call gets every answer in one response.

create or replace function public.genome_known_ad_ids(p_ad_ids text[])
returns setof text
language sql stable security invoker
set search_path = ''
as $$
    select a.id from public.generated_ads a where a.id = any (p_ad_ids) order by a.id
$$;

revoke all on function public.genome_known_ad_ids(text[]) from public, anon, authenticated;
grant execute on function public.genome_known_ad_ids(text[]) to service_role;
