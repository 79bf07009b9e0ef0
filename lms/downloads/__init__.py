"""Prepared downloads: documents too large to make inside a web request (a big setting's
evidence pack, a session's certificates, a long export), made by the scheduler's
run-downloads job with progress, kept for a few days and fetched from a page of their own.
The features that own the documents register a kind each (lms.downloads.kinds)."""
