"""Click analytics: CloudFront's real-time log records counted once each (docs/analytics.md).

`log_records` reads a log line, `classification` says which are clicks and of whom, `visitors`
hashes who, `aggregation` sums a batch in memory, `counting` writes it exactly once through
`store`, `replay` re-reads a failed batch from the stream, and `queries` answers the API.
"""
