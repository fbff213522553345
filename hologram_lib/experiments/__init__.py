"""Paired experiments: measure two sides in one job (`perf.interleaved`), judge them (`drift`), write a typed
document (`paired_documents`). The layer above both measuring and judging: neither imports it."""
