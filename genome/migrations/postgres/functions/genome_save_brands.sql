-- genome_save_brands(p_brands jsonb) returns jsonb
--   p_brands: [{"id": text, "name": text|null, "organization_id": text|null,
--               "cross_brand_sharing": bool|null, "created_at": ts|null}]
-- Upsert by id (last duplicate wins). null or absent keeps the stored value; a new brand gets name =
-- id, no organization, sharing off, created_at now() (or the given one). name '' = the id;
-- organization_id '' = no organization. created_at of an existing brand is kept. Rows whose values do
-- not change are left untouched. Not a job run. -> {"inserted": n, "updated": n, "unchanged": n}
-- Called by: genome/store/postgres.py PostgresStore.save_brands, supabase_requests.save_brands_call.
-- Takes the job lock pg_advisory_xact_lock(7240311), so no two jobs interleave.
-- SECURITY INVOKER, search_path '' (tables written public.<name>); execute for service_role only.
-- Applied by `migrate` after the numbered files, again whenever this file changes. A change of its
-- arguments or return type needs `drop function if exists` of the old signature above the create.

create or replace function public.genome_save_brands(p_brands jsonb)
returns jsonb
language plpgsql volatile security invoker
set search_path = '' set timezone = 'UTC'
as $$
declare
    v_counts jsonb;
begin
    perform pg_advisory_xact_lock(7240311);
    with incoming as (
        select distinct on (r.id) r.id, r.name, r.organization_id, r.cross_brand_sharing, r.created_at
        from rows from (
            jsonb_to_recordset(coalesce(p_brands, '[]'::jsonb)) as (
                id text, name text, organization_id text, cross_brand_sharing boolean,
                created_at timestamptz)
        ) with ordinality as r (id, name, organization_id, cross_brand_sharing, created_at, ord)
        order by r.id, r.ord desc
    ), resolved as (
        select i.id,
               b.id is null as is_new,
               coalesce(nullif(i.name, ''), case when i.name is null then b.name end, i.id) as name,
               case when i.organization_id is null then b.organization_id
                    else nullif(i.organization_id, '') end as organization_id,
               coalesce(i.cross_brand_sharing, b.cross_brand_sharing, false) as cross_brand_sharing,
               coalesce(i.created_at, now()) as created_at
        from incoming i
        left join public.brands b on b.id = i.id
    ), updated as (
        update public.brands b
        set name = r.name, organization_id = r.organization_id, cross_brand_sharing = r.cross_brand_sharing
        from resolved r
        where b.id = r.id and not r.is_new
          and (b.name, b.organization_id, b.cross_brand_sharing)
              is distinct from (r.name, r.organization_id, r.cross_brand_sharing)
        returning b.id
    ), inserted as (
        insert into public.brands (id, name, organization_id, cross_brand_sharing, created_at)
        select r.id, r.name, r.organization_id, r.cross_brand_sharing, r.created_at
        from resolved r
        where r.is_new
        returning id
    )
    select jsonb_build_object(
               'inserted', (select count(*) from inserted),
               'updated', (select count(*) from updated),
               'unchanged', (select count(*) from incoming)
                            - (select count(*) from inserted) - (select count(*) from updated))
      into v_counts;
    return v_counts;
end
$$;

revoke all on function public.genome_save_brands(jsonb) from public, anon, authenticated;
grant execute on function public.genome_save_brands(jsonb) to service_role;
