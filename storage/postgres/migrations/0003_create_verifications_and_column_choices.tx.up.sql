-- Pending email verifications, at most one per user, and each viewer's
-- hidden team list columns.

CREATE TABLE IF NOT EXISTS roster_verifications (
    company_id uuid        NOT NULL,
    user_id    uuid        NOT NULL,
    token_hash bytea       NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT roster_verifications_pkey PRIMARY KEY (company_id, user_id),
    CONSTRAINT roster_verifications_user_fkey FOREIGN KEY (company_id, user_id)
        REFERENCES roster_users (company_id, id)
);

--bun:split

-- A token arrives without its company, so it is looked up by hash alone.
-- On a database distributed by company_id this lookup visits every shard.
CREATE INDEX IF NOT EXISTS roster_verifications_token_hash
    ON roster_verifications (token_hash);

--bun:split

CREATE TABLE IF NOT EXISTS roster_column_choices (
    company_id uuid   NOT NULL,
    viewer_id  uuid   NOT NULL,
    hidden     text[] NOT NULL,
    CONSTRAINT roster_column_choices_pkey PRIMARY KEY (company_id, viewer_id),
    CONSTRAINT roster_column_choices_viewer_fkey FOREIGN KEY (company_id, viewer_id)
        REFERENCES roster_users (company_id, id)
);
