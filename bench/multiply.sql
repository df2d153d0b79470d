-- Multiply the seeded plans, tasks and assignments K times (psql -v k=56).
-- Copy j of a row gets id + j*max(id); foreign keys (plan_id, parent_id, task_id) are
-- shifted the same way, so every copy is a self-consistent plan with its own outline.
-- Copies are made through temp tables shaped like the real ones, so new columns added
-- by later migrations are carried over without editing this file.
\set ON_ERROR_STOP on
BEGIN;
SELECT max(id) AS pmax FROM plan \gset
SELECT max(id) AS tmax FROM task \gset
SELECT max(id) AS amax FROM assignment \gset

CREATE TEMP TABLE cp_plan AS
  SELECT j AS _j, p.* FROM plan p CROSS JOIN generate_series(1, :k) j;
UPDATE cp_plan SET id = id + _j * :pmax,
                   title = title || ' #' || _j,
                   fingerprint = CASE WHEN fingerprint IS NULL THEN NULL ELSE fingerprint || '-' || _j END;
ALTER TABLE cp_plan DROP COLUMN _j;
INSERT INTO plan SELECT * FROM cp_plan;

CREATE TEMP TABLE cp_task AS
  SELECT j AS _j, t.* FROM task t CROSS JOIN generate_series(1, :k) j;
UPDATE cp_task SET id = id + _j * :tmax,
                   plan_id = plan_id + _j * :pmax,
                   parent_id = parent_id + _j * :tmax;
ALTER TABLE cp_task DROP COLUMN _j;
INSERT INTO task SELECT * FROM cp_task;

CREATE TEMP TABLE cp_asg AS
  SELECT j AS _j, a.* FROM assignment a CROSS JOIN generate_series(1, :k) j;
UPDATE cp_asg SET id = id + _j * :amax,
                  task_id = task_id + _j * :tmax;
ALTER TABLE cp_asg DROP COLUMN _j;
INSERT INTO assignment SELECT * FROM cp_asg;

SELECT setval(pg_get_serial_sequence('plan', 'id'), (SELECT max(id) FROM plan));
SELECT setval(pg_get_serial_sequence('task', 'id'), (SELECT max(id) FROM task));
SELECT setval(pg_get_serial_sequence('assignment', 'id'), (SELECT max(id) FROM assignment));
COMMIT;
VACUUM ANALYZE;  -- not left to autovacuum during the measurements
SELECT (SELECT count(*) FROM plan) AS plans, (SELECT count(*) FROM task) AS tasks,
       (SELECT count(*) FROM assignment) AS assignments, (SELECT count(*) FROM agency) AS agencies;
