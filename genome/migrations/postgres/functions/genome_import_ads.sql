-- genome_import_ads(p_ads jsonb, p_started_at timestamptz default null) returns jsonb
--   p_ads: [{"ad_id": text, "brand_id": text, "element_tags": object | JSON text,
--            "pre_gen_score": number|null, "final_status": text, "is_imported": bool, "created_at": ts}],
--   staged here; or null: the ads were staged already (genome_import_staging, then COPY) in this
--   transaction.
-- Upsert by ad_id (last duplicate wins), only where something changed; unknown brands are created by
-- genome_save_brands (name = id). The element rows (generated_ad_elements) of the ads written are
-- rebuilt from their stored tags. -> {"inserted": n, "updated": n, "unchanged": n, "job_id": n},
-- job_type 'import_ads'.
-- Called by: genome/store/postgres.py _write_import (staged by COPY), supabase_requests.import_ads_call.
-- Takes the job lock pg_advisory_xact_lock(7240311), so no two jobs interleave.
-- SECURITY INVOKER, search_path '' (tables written public.<name>); execute for service_role only.
-- Applied by `migrate` after the numbered files, again whenever this file changes. A change of its
-- arguments or return type needs `drop function if exists` of the old signature above the create.

create or replace function public.genome_import_ads(p_ads jsonb, p_started_at timestamptz default null)
returns jsonb
language plpgsql volatile security invoker
set search_path = '' set timezone = 'UTC'
as $$
declare
    v_counts jsonb;
    v_brand_ids text[];
    v_written text[];
    v_job bigint;
begin
    perform pg_advisory_xact_lock(7240311);
    if p_ads is not null then
        perform public.genome_import_staging('import_ads');
        insert into pg_temp.genome_staged_ads
            (ord, ad_id, brand_id, element_tags, pre_gen_score, final_status, is_imported, created_at)
        select r.ord, r.ad_id, r.brand_id,
               case jsonb_typeof(r.element_tags) when 'object' then r.element_tags::text
                                                 when 'string' then r.element_tags #>> '{}' end,
               r.pre_gen_score, r.final_status, r.is_imported, r.created_at
        from rows from (
            jsonb_to_recordset(p_ads) as (
                ad_id text, brand_id text, element_tags jsonb, pre_gen_score double precision,
                final_status text, is_imported boolean, created_at timestamptz)
        ) with ordinality as r (ad_id, brand_id, element_tags, pre_gen_score, final_status, is_imported,
                                created_at, ord);
    end if;
    select coalesce(array_agg(distinct s.brand_id), '{}') into v_brand_ids from pg_temp.genome_staged_ads s;
    perform public.genome_save_brands(
        (select coalesce(jsonb_agg(jsonb_build_object('id', b.id)), '[]') from unnest(v_brand_ids) as b (id)));

    with incoming as (
        select distinct on (s.ad_id)
               s.ad_id as id,
               s.brand_id,
               coalesce(s.element_tags::jsonb, '{}') as element_tags,
               s.pre_gen_score,
               coalesce(s.final_status, 'pending') as final_status,
               coalesce(s.is_imported, false) as is_imported,
               coalesce(s.created_at, now()) as created_at
        from pg_temp.genome_staged_ads s
        order by s.ad_id, s.ord desc
    ), classified as (
        select i.*,
               case when a.id is null then 'inserted'
                    when (a.brand_id, a.element_tags, a.pre_gen_score, a.final_status, a.is_imported,
                          a.created_at)
                         is distinct from (i.brand_id, i.element_tags, i.pre_gen_score, i.final_status,
                                           i.is_imported, i.created_at) then 'updated'
                    else 'unchanged' end as outcome
        from incoming i
        left join public.generated_ads a on a.id = i.id
    ), inserted as (
        insert into public.generated_ads
            (id, brand_id, element_tags, pre_gen_score, final_status, is_imported, created_at)
        select id, brand_id, element_tags, pre_gen_score, final_status, is_imported, created_at
        from classified where outcome = 'inserted'
    ), updated as (
        update public.generated_ads a
           set brand_id = c.brand_id, element_tags = c.element_tags, pre_gen_score = c.pre_gen_score,
               final_status = c.final_status, is_imported = c.is_imported, created_at = c.created_at
          from classified c
         where c.outcome = 'updated' and a.id = c.id
    )
    select jsonb_build_object(
               'inserted', count(*) filter (where outcome = 'inserted'),
               'updated', count(*) filter (where outcome = 'updated'),
               'unchanged', count(*) filter (where outcome = 'unchanged')),
           coalesce(array_agg(id) filter (where outcome <> 'unchanged'), '{}')
      into v_counts, v_written
      from classified;

    -- the written ads' element rows, from their stored tags and brand
    delete from public.generated_ad_elements e
     where e.generated_ad_id in (select unnest(v_written));
    insert into public.generated_ad_elements (brand_id, element_name, element_value, generated_ad_id)
    select a.brand_id, tag.key, tag.value #>> '{}', a.id
    from public.generated_ads a
    cross join lateral jsonb_each(a.element_tags) as tag
    where a.id in (select unnest(v_written))
      and jsonb_typeof(tag.value) in ('string', 'number', 'boolean') and tag.value #>> '{}' <> ''
    order by 1, 2, 3, 4;

    v_job := public.genome_record_job('import_ads', v_brand_ids, 'succeeded', p_started_at, v_counts);
    return v_counts || jsonb_build_object('job_id', v_job);
end
$$;

revoke all on function public.genome_import_ads(jsonb, timestamptz) from public, anon, authenticated;
grant execute on function public.genome_import_ads(jsonb, timestamptz) to service_role;
