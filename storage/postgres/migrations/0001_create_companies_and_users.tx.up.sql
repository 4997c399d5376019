-- Companies with their seats, and their users.
--
-- Every table is keyed by company_id, and every primary key, unique
-- constraint and foreign key includes it, so that the schema can be
-- distributed by company_id. The companies table names its own id
-- company_id for the same reason.
--
-- Every statement is idempotent, so a run that was interrupted after the
-- commit but before bun recorded the version can run again.

CREATE TABLE IF NOT EXISTS roster_companies (
    company_id uuid        NOT NULL,
    name       text        NOT NULL,
    seat_limit integer     NOT NULL,
    seats_used integer     NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    CONSTRAINT roster_companies_pkey PRIMARY KEY (company_id),
    CONSTRAINT roster_companies_seat_limit_positive CHECK (seat_limit >= 1),
    CONSTRAINT roster_companies_seats_used_nonnegative CHECK (seats_used >= 0),
    CONSTRAINT roster_companies_seats_used_within_limit CHECK (seats_used <= seat_limit)
);

--bun:split

-- name_key and email_key use the "C" collation, so that comparisons,
-- ORDER BY and the indexes order them byte-wise, as Go compares strings.
CREATE TABLE IF NOT EXISTS roster_users (
    company_id              uuid             NOT NULL,
    id                      uuid             NOT NULL,
    email                   text             NOT NULL,
    email_key               text COLLATE "C" NOT NULL,
    name                    text             NOT NULL,
    name_key                text COLLATE "C" NOT NULL,
    role                    text             NOT NULL,
    verification            text             NOT NULL,
    can_access_phone_calls  boolean          NOT NULL,
    can_access_ai_assistant boolean          NOT NULL,
    conversation_limit      integer          NOT NULL,
    open_conversations      integer          NOT NULL DEFAULT 0,
    status                  text             NOT NULL,
    invited_at              timestamptz      NOT NULL,
    verified_at             timestamptz,
    archived_at             timestamptz,
    version                 bigint           NOT NULL,
    CONSTRAINT roster_users_pkey PRIMARY KEY (company_id, id),
    CONSTRAINT roster_users_company_fkey FOREIGN KEY (company_id)
        REFERENCES roster_companies (company_id),
    CONSTRAINT roster_users_role_known CHECK (role IN ('admin', 'user')),
    CONSTRAINT roster_users_verification_known CHECK (verification IN ('verified', 'not_verified')),
    CONSTRAINT roster_users_status_known CHECK (status IN ('active', 'archived')),
    CONSTRAINT roster_users_conversation_limit_nonnegative CHECK (conversation_limit >= 0),
    CONSTRAINT roster_users_open_conversations_nonnegative CHECK (open_conversations >= 0)
);

--bun:split

-- Email addresses are unique among a company's non-archived users.
CREATE UNIQUE INDEX IF NOT EXISTS roster_users_active_email_key
    ON roster_users (company_id, email_key)
    WHERE status = 'active';

--bun:split

-- The team list's order, (name_key, id), within a company.
CREATE INDEX IF NOT EXISTS roster_users_list
    ON roster_users (company_id, name_key, id);

--bun:split

-- The team list filtered by status, the most common filter.
CREATE INDEX IF NOT EXISTS roster_users_list_by_status
    ON roster_users (company_id, status, name_key, id);
