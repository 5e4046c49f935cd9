"""The statements the floor sends: the project's own, as Django and its
services write them (captured from the running project), with the constant
parameters written in. Parameters are psycopg2 ``%(name)s`` placeholders."""

# auth ---------------------------------------------------------------------------------

# accounts.selectors.user_with_generation
USER_WITH_GENERATION = """
SELECT u.id, u.created_at, u.updated_at, u.email, u.hashed_password, u.name, u.surname,
       u.username, u.is_active, u.is_verified, u.role, u.status, g.user_id, g.generation
FROM users u LEFT OUTER JOIN user_token_generations g ON u.id = g.user_id
WHERE u.id = %(user_id)s ORDER BY u.id ASC LIMIT 1
"""

# specs: who sees what (specs.selectors) -------------------------------------------

# visible_projects: a union of three index lookups.
_VISIBLE_IDS = """
    (SELECT U0.id FROM projects U0 WHERE U0.owner_id = %(user_id)s)
    UNION (SELECT U0.project_id FROM project_shares U0
           WHERE (U0.expiry_date IS NULL OR U0.expiry_date > STATEMENT_TIMESTAMP())
             AND U0.shared_with_user_id = %(user_id)s)
    UNION (SELECT V0.project_id FROM project_shares V0
           WHERE (V0.expiry_date IS NULL OR V0.expiry_date > STATEMENT_TIMESTAMP())
             AND V0.shared_with_team_id IN (
                 SELECT U0.team_id FROM team_members U0
                 WHERE U0.status = 'active' AND U0.user_id = %(user_id)s))
"""

# The columns ProjectSerializer renders, in its order.
_PROJECT_COLUMNS = (
    "id, name, description, current_phase, status, maturity_score, metadata, "
    "user_id, creator_id, owner_id, created_at, updated_at"
)

COUNT_VISIBLE_PROJECTS = f"SELECT COUNT(*) FROM projects WHERE id IN ({_VISIBLE_IDS})"

# A page, newest first (StandardPagination: LIMIT/OFFSET as Django's Paginator slices).
VISIBLE_PROJECTS_PAGE = f"""
SELECT {_PROJECT_COLUMNS} FROM projects WHERE id IN ({_VISIBLE_IDS})
ORDER BY created_at DESC LIMIT %(limit)s OFFSET %(offset)s
"""

# One visible project (the retrieve's get_object).
VISIBLE_PROJECT = f"""
SELECT {_PROJECT_COLUMNS} FROM projects WHERE id IN ({_VISIBLE_IDS}) AND id = %(project_id)s
LIMIT 21
"""

# access_level: the owner, and the best unexpired share's rank (view 1 .. admin 4).
ACCESS_LEVEL = """
SELECT p.owner_id, (
    SELECT CASE WHEN V0.permission_level = 'view' THEN 1
                WHEN V0.permission_level = 'comment' THEN 2
                WHEN V0.permission_level = 'edit' THEN 3
                WHEN V0.permission_level = 'admin' THEN 4 ELSE NULL END AS rank
    FROM project_shares V0
    WHERE (V0.expiry_date IS NULL OR V0.expiry_date > STATEMENT_TIMESTAMP())
      AND (V0.shared_with_user_id = %(user_id)s OR V0.shared_with_team_id IN (
               SELECT U0.team_id FROM team_members U0
               WHERE U0.status = 'active' AND U0.user_id = %(user_id)s))
      AND V0.project_id = p.id
    ORDER BY 1 DESC LIMIT 1
) AS share_rank
FROM projects p WHERE p.id = %(project_id)s ORDER BY p.id ASC LIMIT 1
"""

# Conversations ------------------------------------------------------------------------

SESSION_OF_PROJECT = """
SELECT id, created_at, updated_at, project_id, user_id, title, status, message_count,
       metadata, mode, started_at, ended_at
FROM sessions WHERE id = %(session_id)s AND project_id = %(project_id)s LIMIT 21
"""

# The columns MessageSerializer renders, in its order. DRF's CursorPagination:
# the first page, and pages after (or, reversed, before) a position, in the
# order of created_at then id.
_MESSAGE_COLUMNS = "id, session_id, role, content, message_type, tokens_used, metadata, created_at"
MESSAGES_FIRST = f"""
SELECT {_MESSAGE_COLUMNS} FROM conversation_history WHERE session_id = %(session_id)s
ORDER BY created_at ASC, id ASC LIMIT %(limit)s OFFSET %(offset)s
"""
MESSAGES_AFTER = f"""
SELECT {_MESSAGE_COLUMNS} FROM conversation_history
WHERE session_id = %(session_id)s AND created_at > %(position)s
ORDER BY created_at ASC, id ASC LIMIT %(limit)s OFFSET %(offset)s
"""
MESSAGES_BEFORE = f"""
SELECT {_MESSAGE_COLUMNS} FROM conversation_history
WHERE session_id = %(session_id)s AND created_at < %(position)s
ORDER BY created_at DESC, id DESC LIMIT %(limit)s OFFSET %(offset)s
"""
# Reversed without a position (a cursor with r=1 and no p).
MESSAGES_LAST = f"""
SELECT {_MESSAGE_COLUMNS} FROM conversation_history WHERE session_id = %(session_id)s
ORDER BY created_at DESC, id DESC LIMIT %(limit)s OFFSET %(offset)s
"""

# Writing a specification (specs.services.write_specification) ----------------------

PROJECT_BY_ID = """
SELECT id, created_at, updated_at, user_id, name, description, current_phase, status,
       maturity_score, metadata, creator_id, owner_id
FROM projects WHERE id = %(project_id)s LIMIT 21
"""
LOCK_PROJECT = "SELECT 1 AS a FROM projects WHERE id = %(project_id)s LIMIT 1 FOR UPDATE"
CURRENT_SPECIFICATION = """
SELECT id, created_at, updated_at, project_id, key, value, type, status, version, metadata,
       category, content, source, confidence, is_current, spec_metadata, superseded_at,
       superseded_by, maturity_score
FROM specifications WHERE is_current AND key = %(key)s AND project_id = %(project_id)s
ORDER BY id ASC LIMIT 1
"""
LATEST_VERSION = """
SELECT version FROM specifications WHERE key = %(key)s AND project_id = %(project_id)s
ORDER BY 1 DESC LIMIT 1
"""
SUPERSEDE = """
UPDATE specifications SET updated_at = %(now)s, is_current = false, superseded_at = %(now)s
WHERE id = %(id)s
"""
INSERT_SPECIFICATION = """
INSERT INTO specifications (id, created_at, updated_at, project_id, key, value, type, status,
    version, metadata, category, content, source, confidence, is_current, spec_metadata,
    superseded_at, superseded_by, maturity_score)
VALUES (%(id)s, %(created_at)s, %(updated_at)s, %(project)s, %(key)s, %(value)s, %(type)s,
    %(status)s, %(version)s, %(metadata)s, %(category)s, %(content)s, %(source)s,
    %(confidence)s, true, NULL, NULL, NULL, 0)
"""
SET_SUPERSEDED_BY = """
UPDATE specifications SET updated_at = %(now)s, superseded_by = %(by)s WHERE id = %(id)s
"""
INSERT_ACTIVITY = """
INSERT INTO activity_logs (id, created_at, user_id, action, resource_type, resource_id,
    resource_name, changes, description, severity, ip_address, user_agent, metadata)
VALUES (%(id)s, %(now)s, %(user_id)s, %(action)s, 'specification', %(resource_id)s,
    %(resource_name)s, %(changes)s, NULL, 'info', %(ip)s, %(user_agent)s, '{}')
"""

# A new key counts against the plan of the project's owner (billing.limits).
ACTIVE_PLAN_NAMES = """
SELECT plan_name FROM subscriptions WHERE status = 'active' AND user_id = %(user_id)s
"""
PLAN_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended(%(lock)s, 0))"
CURRENT_SPECIFICATIONS_OWNED = """
SELECT COUNT(*) FROM specifications INNER JOIN projects ON specifications.project_id = projects.id
WHERE specifications.is_current AND projects.owner_id = %(user_id)s
"""

# Knowledge search (rag.selectors.search_chunks, rag.services.record_search_hits) -------

_HIT_COLUMNS = """
    c.id, c.document_id, d.title, c.project_id, c.chunk_index, c.source_section,
    ts_rank_cd(setweight(to_tsvector('english'::regconfig, COALESCE(c.source_section, '')), 'A')
               || setweight(to_tsvector('english'::regconfig, COALESCE(c.content, '')), 'B'),
               websearch_to_tsquery('english'::regconfig, %(q)s)) AS rank,
    ts_headline('english'::regconfig, c.content, websearch_to_tsquery('english'::regconfig, %(q)s),
                'MaxWords=35, MinWords=15, MaxFragments=2') AS snippet
"""
# The expression of the GIN index, so that it finds the matches.
_MATCHES = (
    "to_tsvector('english'::regconfig, COALESCE(c.content, '')) "
    "@@ websearch_to_tsquery('english'::regconfig, %(q)s)"
)
SEARCH_CHUNKS = f"""
SELECT {_HIT_COLUMNS}
FROM document_chunks c LEFT OUTER JOIN knowledge_base_documents d ON c.document_id = d.id
WHERE ((c.document_id IN (SELECT U0.id FROM knowledge_base_documents U0 WHERE U0.is_approved)
        AND c.project_id IS NULL)
       OR c.project_id IN (SELECT W0.id FROM projects W0 WHERE W0.id IN ({_VISIBLE_IDS})))
  AND {_MATCHES}
ORDER BY rank DESC, c.id ASC LIMIT %(limit)s
"""
SEARCH_PROJECT_CHUNKS = f"""
SELECT {_HIT_COLUMNS}
FROM document_chunks c LEFT OUTER JOIN knowledge_base_documents d ON c.document_id = d.id
WHERE c.project_id = %(project_id)s AND {_MATCHES}
ORDER BY rank DESC, c.id ASC LIMIT %(limit)s
"""
LOCK_HIT_DOCUMENTS = """
SELECT d.id FROM knowledge_base_documents d
WHERE d.id IN (SELECT document_id FROM document_chunks WHERE id = ANY(%(chunks)s::uuid[]))
ORDER BY d.id FOR UPDATE OF d
"""
RECORD_HITS = """
WITH locked AS (
    SELECT id FROM document_chunks WHERE id = ANY(%(chunks)s::uuid[]) ORDER BY id FOR UPDATE
), hits AS (
    UPDATE document_chunks c SET search_count = c.search_count + 1
    FROM locked WHERE c.id = locked.id
    RETURNING c.document_id
), per_document AS (
    SELECT document_id, count(*) AS hits FROM hits
    WHERE document_id IS NOT NULL GROUP BY document_id
)
UPDATE knowledge_base_documents d SET usage_count = d.usage_count + p.hits
FROM per_document p WHERE d.id = p.document_id
"""

# API keys (billing.selectors.api_key_for_secret, billing.services.COUNT_KEY_USE) -------

API_KEY_FOR_HASH = """
SELECT k.id, k.created_at, k.updated_at, k.user_id, k.name, k.key_hash, k.key_preview,
       k.status, k.scope, k.rate_limit, k.usage_count, k.last_used_at, k.expires_at,
       k.metadata,
       ARRAY(SELECT U0.plan_name FROM subscriptions U0
             WHERE U0.status = 'active' AND U0.user_id = k.user_id) AS active_plans
FROM api_keys k WHERE k.key_hash = %(hash)s ORDER BY k.id ASC LIMIT 1
"""
COUNT_KEY_USE = """
WITH minute AS (
    INSERT INTO api_request_windows AS w (subject_id, span, started_at, requests)
    VALUES (%(key_id)s, 'minute', date_trunc('minute', now()), 1)
    ON CONFLICT (subject_id, span) DO UPDATE SET
        requests = CASE WHEN w.started_at = EXCLUDED.started_at THEN w.requests + 1 ELSE 1 END,
        started_at = EXCLUDED.started_at
    RETURNING requests
), day AS (
    INSERT INTO api_request_windows AS w (subject_id, span, started_at, requests)
    SELECT %(user_id)s, 'day', date_trunc('day', now(), 'UTC'), 1
    WHERE %(per_minute)s::integer IS NULL OR (SELECT requests FROM minute) <= %(per_minute)s
    ON CONFLICT (subject_id, span) DO UPDATE SET
        requests = CASE WHEN w.started_at = EXCLUDED.started_at THEN w.requests + 1 ELSE 1 END,
        started_at = EXCLUDED.started_at
    RETURNING requests
), used AS (
    UPDATE api_keys SET usage_count = usage_count + 1, last_used_at = now(), updated_at = now()
    WHERE id = %(key_id)s AND status = 'active'
      AND (SELECT requests FROM day) IS NOT NULL
      AND (%(per_day)s::integer IS NULL OR (SELECT requests FROM day) <= %(per_day)s)
    RETURNING usage_count
)
SELECT (SELECT requests FROM minute), (SELECT requests FROM day), (SELECT usage_count FROM used)
"""
