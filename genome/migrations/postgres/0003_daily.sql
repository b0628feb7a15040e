-- 0003_daily.sql — two more job types: 'daily' (`python -m genome daily`: a refresh and a validation
-- in one transaction, its summary holding both) and 'notify' (a batch of alert notifications sent to
-- GENOME_ALERT_WEBHOOK_URL after a validation committed, with what was delivered and what failed).
-- The same values as genome/vocabulary.py JOB_TYPES and the SQLite 0003_daily.sql.

alter table public.genome_job_runs drop constraint job_runs_type;
alter table public.genome_job_runs add constraint job_runs_type check (
    job_type in ('refresh', 'validate', 'import_ads', 'import_performance', 'daily', 'notify')
);
