-- Trigram indexes for the team list's text search, which matches a
-- substring of name_key or email_key with LIKE '%...%'.
--
-- pg_trgm ships with PostgreSQL's contrib modules and is a trusted
-- extension since PostgreSQL 13, so a database owner may create it. Where
-- it is missing or may not be created, the migration skips the indexes
-- with a notice, and searches read the company's users through the
-- roster_users_list index instead.

DO $$
DECLARE
    trgm_schema name;
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION
        WHEN undefined_file OR feature_not_supported OR insufficient_privilege THEN
            RAISE NOTICE 'pg_trgm is not available (%), so the team list search runs without trigram indexes', SQLERRM;
            RETURN;
    END;

    -- The operator class is qualified with the extension's schema, which
    -- need not be on the search_path.
    SELECT n.nspname INTO trgm_schema
    FROM pg_extension e
    JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';

    EXECUTE format(
        'CREATE INDEX IF NOT EXISTS roster_users_name_key_trgm ON roster_users USING gin (name_key %I.gin_trgm_ops)',
        trgm_schema);
    EXECUTE format(
        'CREATE INDEX IF NOT EXISTS roster_users_email_key_trgm ON roster_users USING gin (email_key %I.gin_trgm_ops)',
        trgm_schema);
END
$$;
