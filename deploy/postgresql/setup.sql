-- Roles and database of an Osez deployment, on the primary, as postgres:
--   psql -v osez_password="'…'" -v replicator_password="'…'" -f setup.sql
-- Osez creates and migrates its tables itself at start.

CREATE ROLE osez LOGIN PASSWORD :osez_password;
CREATE DATABASE osez OWNER osez ENCODING 'UTF8' TEMPLATE template0;

-- Streaming replication and base backups (pg_basebackup).
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :replicator_password;
