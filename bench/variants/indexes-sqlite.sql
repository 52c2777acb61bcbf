-- The same indexes for SQLite (no INCLUDE: a composite index; the rowid is in every index).
CREATE INDEX IF NOT EXISTS bench_topic_community_order
    ON communities_topic (community_id, is_pinned DESC, updated_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS bench_topic_pinned
    ON communities_topic (community_id, updated_at DESC, id DESC) WHERE is_pinned;
-- The home page's must-see list across communities: walk newest first, stop after one page.
CREATE INDEX IF NOT EXISTS bench_topic_pinned_latest
    ON communities_topic (updated_at DESC, id DESC) WHERE is_pinned;
CREATE INDEX IF NOT EXISTS bench_topic_community_audience
    ON communities_topic (community_id, audience_mode, author_id, author_organisation_id);
ANALYZE;
