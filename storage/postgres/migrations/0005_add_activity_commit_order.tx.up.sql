-- The commit order of activity entries, for incremental sync.
--
-- commit_xid is the id of the transaction that wrote the entry. Every
-- transaction whose id is below pg_snapshot_xmin(pg_current_snapshot())
-- has ended, so a reader that takes only such entries, ordered by
-- (commit_xid, id), never sees an entry appear before its checkpoint
-- later. Entries that existed before this migration share the id of the
-- migration's transaction.

ALTER TABLE roster_activity_entries
    ADD COLUMN IF NOT EXISTS commit_xid xid8 NOT NULL DEFAULT pg_current_xact_id();

--bun:split

CREATE INDEX IF NOT EXISTS roster_activity_entries_by_commit
    ON roster_activity_entries (company_id, commit_xid, id);
