-- Indexes tried on the bench database (not part of renkei's migrations): see bench/README.md.
-- Community page: must-see first, then newest; LIMIT 20 walks this index instead of sorting
-- every topic of the community.
CREATE INDEX IF NOT EXISTS bench_topic_community_order
    ON communities_topic (community_id, is_pinned DESC, updated_at DESC, id DESC);
-- Must-see topics (home page and the community page's first list and count): a small partial
-- index holding only the pinned topics.
CREATE INDEX IF NOT EXISTS bench_topic_pinned
    ON communities_topic (community_id, updated_at DESC, id DESC) WHERE is_pinned;
-- The home page's must-see list across communities: walk newest first, stop after one page.
CREATE INDEX IF NOT EXISTS bench_topic_pinned_latest
    ON communities_topic (updated_at DESC, id DESC) WHERE is_pinned;
-- The paginator's COUNT(*) through the visibility filter as an index-only scan.
CREATE INDEX IF NOT EXISTS bench_topic_community_audience
    ON communities_topic (community_id) INCLUDE (id, audience_mode, author_id, author_organisation_id);
-- JIT compiles the big COUNT for ~200 ms; this is an OLTP workload.
ALTER DATABASE renkei_bench SET jit = off;
VACUUM ANALYZE communities_topic;
