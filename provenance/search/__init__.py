"""Search over what a team holds: one document per searchable object (search.models),
kept current by the services' audit hook (search.indexing), queried by
search.selectors on PostgreSQL (tsvector + pg_trgm) or SQLite (FTS5, trigram)."""
