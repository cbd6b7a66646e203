"""What leaves the team: the claim shape (shapes), the query plan (queries), the
builders, native JSON, schema.org ClaimReview, W3C PROV and bundle payloads."""
