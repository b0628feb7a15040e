-- 0010_brands.sql — brands can be managed: genome_save_brands keeps what a call leaves out.
--
-- Why: 0002's genome_save_brands replaced every column of a brand (a brand named again lost its
-- organization), so only the demo, which writes whole brands, could use it. Genome.set_brand, the
-- brands CSV import and the dashboard's brand editor change some fields of a brand and keep the rest.
-- This file replaces 0002's function (the live body is the one below; its return type changes from
-- the number of rows written to the counts every import reports, so it is dropped and created).
--
-- public.genome_save_brands(p_brands jsonb) returns jsonb
--   p_brands: [{"id": text, "name": text|null, "organization_id": text|null,
--               "cross_brand_sharing": bool|null, "created_at": ts|null}]
--   Upsert by id (last duplicate wins). null or absent keeps the stored value; a new brand gets
--   name = id, no organization, sharing off, created_at now() (or the given one). name '' = the id;
--   organization_id '' = no organization. created_at of an existing brand is kept. Rows whose
--   values do not change are left untouched. Takes the job lock (7240311), so a brand change falls
--   wholly before or after a refresh or an import (which creates brands too). Not a job run.
--   -> {"inserted": n, "updated": n, "unchanged": n}
--
-- Same security as 0002/0003: SECURITY INVOKER, SET search_path = '', execute for service_role
-- only (authenticated reads brands but may not change them). Safe to run twice.

drop function if exists public.genome_save_brands(jsonb);

create function public.genome_save_brands(p_brands jsonb)
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
