"""The shortlist: initiatives someone picks for a person, kept in their session (no
account), shared as a signed read-only link, mailed, texted or printed.

`store` keeps the list and its note in the session, `tokens` signs share links,
`entries` reads the initiatives and says what someone about to go needs, `views`
serves the pages, `context` puts the count in every page's header.
"""
