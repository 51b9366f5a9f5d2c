"""Web-surface checks: the redirect/TLS matrix, HSTS, protocol versions, mixed content, headers,
cookies, caching, CORS, error pages and exposed files (TLS005–TLS008, WEB001–WEB010, SEC004,
SEC009)."""
