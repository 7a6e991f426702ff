-- Background jobs (purge, key maintenance, mail delivery) that every replica schedules but
-- that should run once per interval across all of them: the replica whose conditional
-- update (or insert) takes the row runs the job, and holds it until expires_at. `holder`
-- names the replica, for an operator wondering who ran what.
CREATE TABLE job_leases (
    job TEXT PRIMARY KEY NOT NULL,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
