-- The append-only activity log.
--
-- user_id is who acted, NULL for the host. It has no foreign key because a
-- host may act under an id of its own. target_user_id is whom an entry
-- concerns, NULL for none, and always a user of the same company.

CREATE TABLE IF NOT EXISTS roster_activity_entries (
    company_id     uuid        NOT NULL,
    id             uuid        NOT NULL,
    type           text        NOT NULL,
    user_id        uuid,
    target_user_id uuid,
    ip_address     inet,
    user_agent     text        NOT NULL DEFAULT '',
    occurred_at    timestamptz NOT NULL,
    details        jsonb       NOT NULL DEFAULT '{}',
    CONSTRAINT roster_activity_entries_pkey PRIMARY KEY (company_id, id),
    CONSTRAINT roster_activity_entries_company_fkey FOREIGN KEY (company_id)
        REFERENCES roster_companies (company_id),
    CONSTRAINT roster_activity_entries_target_user_fkey FOREIGN KEY (company_id, target_user_id)
        REFERENCES roster_users (company_id, id),
    CONSTRAINT roster_activity_entries_type_present CHECK (type <> '')
);

--bun:split

-- The log's order, newest first, and the same order for each filter.
CREATE INDEX IF NOT EXISTS roster_activity_entries_by_time
    ON roster_activity_entries (company_id, occurred_at DESC, id DESC);

--bun:split

CREATE INDEX IF NOT EXISTS roster_activity_entries_by_user
    ON roster_activity_entries (company_id, user_id, occurred_at DESC, id DESC);

--bun:split

CREATE INDEX IF NOT EXISTS roster_activity_entries_by_target
    ON roster_activity_entries (company_id, target_user_id, occurred_at DESC, id DESC);

--bun:split

CREATE INDEX IF NOT EXISTS roster_activity_entries_by_type
    ON roster_activity_entries (company_id, type, occurred_at DESC, id DESC);

--bun:split

-- Entries are append-only: the triggers reject UPDATE, DELETE and TRUNCATE
-- from any client. A host that must purge old entries disables them with
-- ALTER TABLE roster_activity_entries DISABLE TRIGGER USER.
CREATE OR REPLACE FUNCTION roster_reject_activity_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'roster_activity_entries is append-only, so % is not allowed', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;

--bun:split

DROP TRIGGER IF EXISTS roster_activity_entries_append_only ON roster_activity_entries;

--bun:split

CREATE TRIGGER roster_activity_entries_append_only
    BEFORE UPDATE OR DELETE ON roster_activity_entries
    FOR EACH ROW EXECUTE FUNCTION roster_reject_activity_change();

--bun:split

DROP TRIGGER IF EXISTS roster_activity_entries_no_truncate ON roster_activity_entries;

--bun:split

CREATE TRIGGER roster_activity_entries_no_truncate
    BEFORE TRUNCATE ON roster_activity_entries
    FOR EACH STATEMENT EXECUTE FUNCTION roster_reject_activity_change();
