"""Many objects at once, kept in step: the engine behind the CopiedPrefix resource and `objectcopy sync`.

- filters.py: include / exclude globs on keys relative to a prefix
- listing.py: a prefix listed into compact entries (one listing request per page, never a HEAD per object), and
  the digest of what was listed
- record.py: what a CopiedPrefix wrote (each key and fingerprints of the ETags), in a compact encoding for state
- plan.py: the decisions (copy, adopt, leave, prune), pure functions over listings and a record
- run.py: carrying out a plan: copies and deletes in parallel within the process-wide request cap, progress,
  cancellation, every failure collected
"""
