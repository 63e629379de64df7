"""ETags compared the way every store means them: bare (no quotes, no W/) and case-blind. Below the HTTP layer
(answers.py reads ETag headers with it) and the stores (stores/base.py names these for them)."""
from __future__ import annotations


def normalize_etag(etag: str | None) -> str | None:
    """ETags arrive quoted (S3, Swift with RFC-compliant etags, SLO) or bare (plain Swift); compare them bare."""
    if etag is None:
        return None
    etag = etag.strip()
    etag = etag.removeprefix("W/")
    return etag.strip('"') or None


def etag_key(etag: str | None) -> str | None:
    """What two ETags are compared by: bare and case-blind. Each store's spelling is kept everywhere else (it is
    what the store takes back in a condition, and what states record): OSS answers upper-case hex, S3, COS and
    Swift lower-case, and a user types either, so an ETag and an MD5 digest, or a recorded ETag and a fresh HEAD,
    compare only through here."""
    etag = normalize_etag(etag)
    return etag.lower() if etag is not None else None


def same_etag(a: str | None, b: str | None) -> bool:
    return etag_key(a) == etag_key(b)
