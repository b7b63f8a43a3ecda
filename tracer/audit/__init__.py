"""The audit trail: typed events, the SHA-256 hash chain, signed checkpoints.

``chain`` holds the chain's pure definitions (canonical JSON, entry hashes, the
redacted form); the trail that appends and verifies entries is
:class:`tracer.audit.trail.AuditTrail`.
"""
