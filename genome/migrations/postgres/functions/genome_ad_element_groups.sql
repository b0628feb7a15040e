-- genome_ad_element_groups(p_brand_ids text[] default null, p_elements text[] default null,
--     p_after_brand_id text default null, p_after_element_name text default null,
--     p_after_element_value text default null, p_limit integer default null)
-- One row per (brand_id, element_name, element_value) with ad_ids, the ids of the brand's ads that
-- carry the value as a JSON array in id order; only elements in p_elements (null = all). Ordered by
-- the first three; only groups after (p_after_brand_id, p_after_element_name, p_after_element_value)
-- when p_after_brand_id is not null (keyset paging), at most p_limit (null = all). Reads
-- generated_ad_elements along its primary key; genome/store/frames.py elements_from_groups unfolds it.
-- Called by: genome/store/postgres.py PostgresStore.ad_elements, supabase_requests.ad_elements_read.
-- SECURITY INVOKER, search_path '' (tables written public.<name>); execute for service_role only.
-- Applied by `migrate` after the numbered files, again whenever this file changes. A change of its
-- arguments or return type needs `drop function if exists` of the old signature above the create.

create or replace function public.genome_ad_element_groups(
    p_brand_ids text[] default null, p_elements text[] default null, p_after_brand_id text default null,
    p_after_element_name text default null, p_after_element_value text default null,
    p_limit integer default null
)
returns table (brand_id text, element_name text, element_value text, ad_ids jsonb)
language sql stable security invoker
set search_path = ''
as $$
    select e.brand_id, e.element_name, e.element_value, jsonb_agg(e.generated_ad_id order by e.generated_ad_id)
    from public.generated_ad_elements e
    where (p_brand_ids is null or e.brand_id = any (p_brand_ids))
      and (p_elements is null or e.element_name = any (p_elements))
      and (p_after_brand_id is null
           or (e.brand_id, e.element_name, e.element_value)
              > (p_after_brand_id, p_after_element_name, p_after_element_value))
    group by e.brand_id, e.element_name, e.element_value
    order by e.brand_id, e.element_name, e.element_value
    limit p_limit
$$;

revoke all on function public.genome_ad_element_groups(text[], text[], text, text, text, integer) from public, anon, authenticated;
grant execute on function public.genome_ad_element_groups(text[], text[], text, text, text, integer) to service_role;
