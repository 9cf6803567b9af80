"""Everything that talks to registries: HTTP client, auth challenges and tokens, credentials, cache."""
