"""GTP (Go Text Protocol) support: a client for external engines and our own GTP front end."""
