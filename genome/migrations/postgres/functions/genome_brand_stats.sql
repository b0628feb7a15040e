-- genome_brand_stats(p_brand_id text, p_since date, p_until date) returns jsonb
-- {"matured_ads": rewards of the brand, "approved": n, "rejected": n}, approved and rejected counting
-- the brand's native (not imported) ads created on a UTC day from p_since to p_until (inclusive), the
-- health metric's approval window; null when there is no such brand. Reads (brand_id, created_at).

create or replace function public.genome_brand_stats(p_brand_id text, p_since date, p_until date)
returns jsonb
language sql stable security invoker
set search_path = ''
as $$
    select jsonb_build_object(
        'matured_ads', (select count(*) from public.creative_element_rewards r where r.brand_id = b.id),
        'approved', count(*) filter (where a.final_status = 'approved'),
        'rejected', count(*) filter (where a.final_status = 'rejected')
    )
    from public.brands b
    left join public.generated_ads a
      on a.brand_id = b.id
     and not a.is_imported
     and a.created_at >= (p_since::timestamp at time zone 'UTC')
     and a.created_at < ((p_until + 1)::timestamp at time zone 'UTC')
    where b.id = p_brand_id
    group by b.id
$$;

revoke all on function public.genome_brand_stats(text, date, date) from public, anon, authenticated;
grant execute on function public.genome_brand_stats(text, date, date) to service_role;
