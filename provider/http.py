"""The one HTTP layer: pooled sessions per thread, a process-wide cap on requests in flight, one retry policy
(exponential backoff with full jitter, Retry-After honoured, a bounded number of tries) and one table that maps
vendor error codes and statuses to our error types. Stores never call requests directly.
"""
from __future__ import annotations

import email.utils
import logging
import os
import random
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Mapping, Union

import requests

from .stores.base import (AccessDenied, BadRequest, NotFound, PreconditionFailed, StoreError, Throttled,
                          Transient)

log = logging.getLogger("pulumi_objectcopy.http")

# Vendor error codes, by the type they mean. The code wins over the status: S3 sends SlowDown as a 503 and
# errors inside 200 responses. Never classify by message text.
ERROR_CODES: dict[str, type[StoreError]] = {
    **dict.fromkeys(["NoSuchKey", "NoSuchBucket", "NoSuchVersion", "NoSuchUpload", "NotFound", "ObjectNotFound",
                     "BucketNotFound", "NotAuthorizedOrNotFound", "NoSuchContainer", "NamespaceNotFound"], NotFound),
    **dict.fromkeys(["PreconditionFailed", "ConditionNotMet", "IfMatchFailed", "IfNoneMatchFailed",
                     "FileAlreadyExists"], PreconditionFailed),
    **dict.fromkeys(["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
                     "InvalidToken", "NotAuthenticated", "Unauthorized", "AllAccessDisabled",
                     "AuthorizationHeaderMalformed"], AccessDenied),
    **dict.fromkeys(["SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests",
                     "RequestThrottled", "TooManyRequestsException"], Throttled),
    **dict.fromkeys(["InternalError", "ServiceUnavailable", "RequestTimeout", "XMinioServerNotInitialized",
                     "OperationAborted", "InternalServerError"], Transient),
    **dict.fromkeys(["InvalidRequest", "InvalidArgument", "EntityTooLarge", "EntityTooSmall", "InvalidRange",
                     "InvalidPart", "InvalidPartOrder", "InvalidBucketName", "KeyTooLongError",
                     "MalformedXML", "InvalidObjectName", "XAmzContentSHA256Mismatch",
                     "NotImplemented"], BadRequest),
}
STATUS_ERRORS: dict[int, type[StoreError]] = {
    304: PreconditionFailed, 400: BadRequest, 401: AccessDenied, 403: AccessDenied, 404: NotFound,
    405: BadRequest, 409: BadRequest, 411: BadRequest, 412: PreconditionFailed, 413: BadRequest,
    416: BadRequest, 422: BadRequest, 429: Throttled, 501: BadRequest,
}
RETRYABLE = (Throttled, Transient)

SECRET_HEADERS = frozenset({
    "authorization", "x-auth-token", "x-auth-key", "x-storage-token", "x-subject-token", "x-amz-security-token",
    "x-cos-security-token", "x-oss-security-token", "x-amz-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key", "opc-sse-customer-key", "cookie", "set-cookie",
    "x-auth-password",
})
_SECRET_QUERY = re.compile(r"((?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|"
                           r"temp_url_sig|security-token)=)[^&]*", re.IGNORECASE)


def error_type(status: int, code: str | None) -> type[StoreError] | None:
    if code and code in ERROR_CODES:
        return ERROR_CODES[code]
    if status >= 500:
        return Transient
    return STATUS_ERRORS.get(status) or (BadRequest if status >= 400 else None)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: ("<redacted>" if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def redact_url(url: str) -> str:
    return _SECRET_QUERY.sub(r"\1<redacted>", url)


# --- the retry policy -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base: float = 0.1    # seconds
    cap: float = 20.0    # botocore's standard mode caps at 20 s
    max_retry_after: float = 60.0

    def delay(self, attempt: int, retry_after: float | None, rand: Callable[[], float] = random.random) -> float:
        """Full jitter: U(0, min(cap, base * 2**attempt)); a server's Retry-After is honoured up to a bound."""
        jitter = rand() * min(self.cap, self.base * (2 ** attempt))
        if retry_after is not None:
            return max(jitter, min(retry_after, self.max_retry_after))
        return jitter


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (email.utils.parsedate_to_datetime(value) - now).total_seconds())
    except (TypeError, ValueError):
        return None


# --- the request ------------------------------------------------------------------------------------------------
# A body is bytes, or a zero-argument callable giving a fresh iterable/stream (so a retry can replay it),
# or a one-shot stream (then the request is tried once).
Body = Union[None, bytes, Callable[[], object], Iterable[bytes]]
Signer = Callable[[str, str, Mapping[str, str], datetime], Mapping[str, str]]
# Reads a response (any status) and returns (vendor code, message, request id), or None when it is no error.
ErrorParser = Callable[[requests.Response], "tuple[str | None, str, str | None] | None"]


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Body = None
    stream: bool = False      # leave the body unread (GET of object data)
    context: str = ""         # what this request does, in the user's words, for error messages
    timeout: tuple[float, float] = (10.0, 300.0)


class Transport:
    """Sends requests with the retry policy. One per process (see `transport()`); holds no credentials."""

    def __init__(self, *, max_in_flight: int = 64, policy: RetryPolicy = RetryPolicy(),
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 sleep: Callable[[float], None] = time.sleep):
        self.policy = policy
        self.clock = clock
        self.sleep = sleep
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._local = threading.local()
        self.requests_sent = 0  # counted for tests and benchmarks
        self._count_lock = threading.Lock()

    def session(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = self._local.session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(pool_connections=16, pool_maxsize=16, max_retries=0)
            s.mount("http://", adapter)
            s.mount("https://", adapter)
        return s

    def send(self, req: Request, *, sign: Signer | None = None, parse_error: ErrorParser,
             verify: bool | str = True) -> requests.Response:
        replayable = req.body is None or isinstance(req.body, (bytes, bytearray)) or callable(req.body)
        attempts = self.policy.max_attempts if replayable else 1
        for attempt in range(attempts):
            try:
                resp = self._send_once(req, sign, verify)
            except (requests.ConnectionError, requests.Timeout) as e:
                err: StoreError = Transient(f"{req.context or req.method}: connection failed: {_short(e)}")
                retry_after = None
            else:
                parsed = parse_error(resp)
                if parsed is None:
                    return resp
                code, message, request_id = parsed
                kind = error_type(resp.status_code, code) or BadRequest
                resp.close()
                detail = f"{code} ({resp.status_code})" if code else f"HTTP {resp.status_code}"
                rid = f" [request id {request_id}]" if request_id else ""
                err = kind(f"{req.context or req.method}: {detail}: {message}{rid}", status=resp.status_code,
                           code=code, request_id=request_id)
                retry_after = parse_retry_after(resp.headers.get("Retry-After"), self.clock())
            if not isinstance(err, RETRYABLE) or attempt + 1 >= attempts:
                raise err
            delay = self.policy.delay(attempt, retry_after)
            log.debug("retrying in %.2fs after: %s", delay, err)
            self.sleep(delay)
        raise AssertionError("unreachable")

    def _send_once(self, req: Request, sign: Signer | None, verify: bool | str) -> requests.Response:
        headers = dict(req.headers)
        if sign is not None:
            headers.update(sign(req.method, req.url, headers, self.clock()))
        body = req.body() if callable(req.body) else req.body
        if log.isEnabledFor(logging.DEBUG):
            log.debug("> %s %s %s", req.method, redact_url(req.url), redact_headers(headers))
        started = time.monotonic()
        try:
            with self._slots:
                with self._count_lock:
                    self.requests_sent += 1
                resp = self.session().request(req.method, req.url, headers=headers, data=body,
                                              stream=req.stream, timeout=req.timeout, verify=verify,
                                              allow_redirects=False)
        finally:
            if callable(req.body) and hasattr(body, "close"):
                body.close()  # this attempt's source stream: a retry opens a fresh one
        if log.isEnabledFor(logging.DEBUG):
            log.debug("< %s %s (%.0f ms) %s", resp.status_code, resp.reason,
                      (time.monotonic() - started) * 1000, redact_headers(resp.headers))
        return resp


def _short(e: Exception) -> str:
    text = str(e)
    m = re.search(r"\[Errno [^\]]+\][^'\")]*", text)
    return m.group(0).strip() if m else text[:200]


_transport: Transport | None = None
_transport_lock = threading.Lock()


def transport() -> Transport:
    """The process-wide transport, built lazily so nothing with sockets is ever pickled into Pulumi state."""
    global _transport
    if _transport is None:
        with _transport_lock:
            if _transport is None:
                _transport = Transport(max_in_flight=int(os.environ.get("OBJECTCOPY_MAX_REQUESTS", "64")))
    return _transport
