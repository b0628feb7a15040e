-- 0008_element_groups.sql — ad elements as one row per (brand, element, value) with its ad ids.
--
-- Why: genome_ad_elements returns one row per (ad, element): 345,000 rows for a brand of 57,500
-- ads, each moved and decoded on its own (and 345 REST pages of 1,000 rows). The refresh needs the
-- same facts grouped: which ads carry each value. This function returns them as a few rows per
-- brand, the ad ids of each as a JSON array in ad id order, so a read costs pages of values, never
-- pages of element rows. genome/store/frames.py `elements_from_groups` unfolds them into the ad
-- elements frame, the same rows genome_ad_elements returns.
--
-- public.genome_ad_element_groups(p_brand_ids text[] default null, p_elements text[] default null,
--                                 p_after_brand_id text default null,
--                                 p_after_element_name text default null,
--                                 p_after_element_value text default null,
--                                 p_limit integer default null)
--   returns (brand_id, element_name, element_value, ad_ids jsonb), ordered by the first three,
--   only groups after (p_after_brand_id, p_after_element_name, p_after_element_value) when
--   p_after_brand_id is not null (keyset paging for REST clients), at most p_limit (null = all).
--   Reads public.generated_ad_elements (0007) along its primary key.
--
-- Same security as 0002-0004: SECURITY INVOKER, SET search_path = '', execute for service_role only.
-- Safe to run twice.

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

revoke all on function public.genome_ad_element_groups(text[], text[], text, text, text, integer)
    from public, anon, authenticated;
grant execute on function public.genome_ad_element_groups(text[], text[], text, text, text, integer)
    to service_role;
