-- 0003_daily.sql — two more job types: 'daily' (`python -m genome daily`: a refresh and a validation
-- in one transaction, its summary holding both) and 'notify' (a batch of alert notifications sent to
-- GENOME_ALERT_WEBHOOK_URL after a validation committed, with what was delivered and what failed).
-- The same values as genome/vocabulary.py JOB_TYPES and the Postgres 0003_daily.sql.
--
-- SQLite cannot alter a check constraint, so genome_job_runs is rebuilt (lang_altertable.html
-- "other kinds of table schema changes") inside the runner's transaction. Foreign keys are on there,
-- so dropping the old table would set score history's job_run_id to null: those links are kept
-- aside in a temp table and put back.

create temp table job_run_links as
    select id, job_run_id from creative_element_score_history where job_run_id is not null;

create table genome_job_runs_new (
    id integer primary key autoincrement,
    job_type text not null,
    brand_id text,
    started_at text not null,
    finished_at text,
    status text not null default 'running',
    summary text not null default '{}' check (json_valid(summary)),
    error text,
    constraint job_runs_type check (
        job_type in ('refresh', 'validate', 'import_ads', 'import_performance', 'daily', 'notify')
    ),
    constraint job_runs_status check (status in ('running', 'succeeded', 'failed'))
);
insert into genome_job_runs_new (id, job_type, brand_id, started_at, finished_at, status, summary, error)
    select id, job_type, brand_id, started_at, finished_at, status, summary, error from genome_job_runs;
update sqlite_sequence
   set seq = max(seq, (select s.seq from sqlite_sequence s where s.name = 'genome_job_runs'))
 where name = 'genome_job_runs_new';
drop table genome_job_runs;
alter table genome_job_runs_new rename to genome_job_runs;
create index job_runs_started on genome_job_runs (started_at desc);
create index job_runs_type_status on genome_job_runs (job_type, status, finished_at);

update creative_element_score_history
   set job_run_id = (select l.job_run_id from temp.job_run_links l where l.id = creative_element_score_history.id)
 where id in (select id from temp.job_run_links);
drop table temp.job_run_links;
