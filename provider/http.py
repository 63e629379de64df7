"""The one HTTP layer: pooled sessions per thread, a process-wide cap on requests in flight, one retry policy
(exponential backoff with full jitter, Retry-After honoured, a bounded number of tries) and one table that maps
vendor error codes and statuses to our error types. Stores never call requests directly.

What is sent again: any request answered with a retryable error (5xx, 429, a throttle code: the server says it did
not do it), and after a broken connection or a cut-short answer, an idempotent request. A request that is not
idempotent (a POST that starts a job) whose answer is lost after it was sent is not sent again, since the service may
have acted: AnswerLost says so, and the caller looks for what it may have started (Request.idempotent marks the
POSTs that are safe to send twice).
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
from typing import Callable, Iterable, Mapping, TypeVar, Union
from urllib.parse import urlsplit

import requests
import urllib3

from . import settings
from .answers import Response, _is_html, answer_summary
from .errors import (AccessDenied, AnswerLost, BadAnswer, BadRequest, NotFound, PreconditionFailed, SourceInterrupted,
                     StoreError, Throttled, Transient, UsageError, redact_userinfo)
from .inputs import header_problem
from .stores import secret_headers

log = logging.getLogger("pulumi_objectcopy.http")
T = TypeVar("T")

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

_SECRET_QUERY = re.compile(r"((?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|"
                           r"temp_url_sig|security-token)=)[^&]*", re.IGNORECASE)


def error_type(status: int, code: str | None) -> type[StoreError] | None:
    if status == 429:  # Too Many Requests is a throttle whatever code a parser put on it (EPM's says InvalidRequest)
        return Throttled
    if code and code in ERROR_CODES:
        return ERROR_CODES[code]
    if status >= 500:
        return Transient
    return STATUS_ERRORS.get(status) or (BadRequest if status >= 400 else None)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers with the values of those that carry secrets (each store declares its own) hidden."""
    secret = secret_headers()
    return {k: ("<redacted>" if k.lower() in secret else v) for k, v in headers.items()}


def redact_url(url: str) -> str:
    return redact_userinfo(_SECRET_QUERY.sub(r"\1<redacted>", url))


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
    # Whether sending it twice does no more than sending it once. None: by method (POST and PATCH are not). A
    # request that is not is sent again after a connection failure only when it surely never left this process.
    idempotent: bool | None = None

    @property
    def safe_to_resend(self) -> bool:
        return self.idempotent if self.idempotent is not None else self.method.upper() not in NOT_IDEMPOTENT


NOT_IDEMPOTENT = frozenset({"POST", "PATCH"})
# A failure while reading an answer whose status line arrived (a truncated body, a reset mid-body)
_BROKEN_ANSWER = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)


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
            s.trust_env = False  # the environment's proxies and CA bundle are read by _environment, once
            adapter = requests.adapters.HTTPAdapter(pool_connections=16, pool_maxsize=16, max_retries=0)
            s.mount("http://", adapter)
            s.mount("https://", adapter)
        return s

    def send(self, req: Request, *, sign: Signer | None = None, parse_error: ErrorParser,
             verify: bool | str = True) -> requests.Response:
        _refuse_unsendable(req)
        replayable = req.body is None or isinstance(req.body, (bytes, bytearray)) or callable(req.body)
        attempts = self.policy.max_attempts if replayable else 1
        for attempt in range(attempts):
            try:
                resp = self._send_once(req, sign, verify)
            except (requests.ConnectionError, requests.Timeout, *_BROKEN_ANSWER) as e:
                what = req.context or req.method
                if not req.safe_to_resend and not _never_sent(e):
                    # The server may have acted (started a job) before the answer was lost: sending it again could
                    # do it twice. The caller decides (find the job by name, follow the one running).
                    raise AnswerLost(f"{what}: the connection failed after the request was sent ({_short(e)}); "
                                     "it may have reached the service, so it was not sent again") from None
                broken = isinstance(e, _BROKEN_ANSWER)
                err: StoreError = Transient(f"{what}: {'the answer was cut short' if broken else 'connection failed'}"
                                            f": {_short(e)}")
                retry_after = None
            else:
                parsed = parse_error(resp)
                if parsed is None:
                    return _readable(resp, req)
                code, message, request_id = parsed
                kind = error_type(resp.status_code, code) or BadRequest
                if resp.status_code == 504 and not req.safe_to_resend:
                    # A gateway passed the request on and stopped waiting for the answer: as lost as a reset.
                    kind = AnswerLost
                resp.close()
                detail = f"{code} ({resp.status_code})" if code else f"HTTP {resp.status_code}"
                rid = f" [request id {request_id}]" if request_id else ""
                err = kind(f"{req.context or req.method}: {detail}: {_error_text(message, resp)}{rid}",
                           status=resp.status_code,
                           code=code, request_id=request_id)
                retry_after = parse_retry_after(resp.headers.get("Retry-After"), self.clock())
            if not isinstance(err, RETRYABLE) or isinstance(err, AnswerLost) or attempt + 1 >= attempts:
                raise err
            delay = self.policy.delay(attempt, retry_after)
            log.debug("retrying in %.2fs after: %s", delay, err)
            self.sleep(delay)
        raise AssertionError("unreachable")

    def _send_once(self, req: Request, sign: Signer | None, verify: bool | str) -> requests.Response:
        headers = dict(req.headers)
        if sign is not None:
            headers.update(sign(req.method, req.url, headers, self.clock()))
        _refuse_bad_headers(req, headers)
        body = req.body() if callable(req.body) else req.body
        if log.isEnabledFor(logging.DEBUG):
            log.debug("> %s %s %s", req.method, redact_url(req.url), redact_headers(headers))
        started = time.monotonic()
        try:
            with self._slots:
                with self._count_lock:
                    self.requests_sent += 1
                proxies, ca_bundle = _environment(req.url)
                try:
                    resp = self.session().request(req.method, req.url, headers=headers, data=body,
                                                  stream=req.stream, timeout=req.timeout, allow_redirects=False,
                                                  verify=ca_bundle if verify is True and ca_bundle else verify,
                                                  proxies=proxies)
                except requests.exceptions.InvalidHeader as e:  # e.g. two Content-Lengths that disagree
                    raise BadAnswer(f"{req.context or req.method}: answered malformed HTTP: {_short(e)}") from None
        finally:
            if callable(req.body) and hasattr(body, "close"):
                body.close()  # this attempt's source stream: a retry opens a fresh one
        if log.isEnabledFor(logging.DEBUG):
            log.debug("< %s %s (%.0f ms) %s", resp.status_code, resp.reason,
                      (time.monotonic() - started) * 1000, redact_headers(resp.headers))
        return resp


def retry_interrupted(attempt: Callable[[], T]) -> T:
    """Run `attempt` again, under the retry policy, when the source it streams from broke off mid-body
    (SourceInterrupted): for writes that are not one HTTP request (a local file written from a store's stream),
    which the Transport cannot send again itself. `attempt` must open the source afresh each time."""
    t = transport()
    for n in range(t.policy.max_attempts):
        try:
            return attempt()
        except SourceInterrupted as e:
            if n + 1 >= t.policy.max_attempts:
                raise
            delay = t.policy.delay(n, None)
            log.debug("reading the source again in %.2fs after: %s", delay, e)
            t.sleep(delay)
    raise AssertionError("unreachable")


def _never_sent(e: Exception) -> bool:
    """True only when the request surely never reached the server: no connection could be made."""
    if isinstance(e, requests.exceptions.ConnectTimeout):
        return True
    reason = e.args[0] if e.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError carries the cause
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _short(e: Exception) -> str:
    text = str(e)
    m = re.search(r"\[Errno [^\]]+\][^'\")]*", text)
    return m.group(0).strip() if m else text[:200]


_UNSENDABLE_SEGMENTS = frozenset({".", ".."})


def _readable(resp: requests.Response, req: "Request") -> Response:
    resp.__class__ = Response
    resp.context = req.context or f"{req.method} {redact_url(req.url)}"
    return resp


def _refuse_unsendable(req: "Request") -> None:
    """Refuse, before anything is sent, a URL that HTTP clients would not send as built: a path with '.' or '..'
    segments. requests removes them, so the request would reach ANOTHER object (on Swift, whose requests are not
    signed, a DELETE of 'a/../b' would delete 'b'; elsewhere the signature fails)."""
    path = urlsplit(req.url).path
    if any(segment in _UNSENDABLE_SEGMENTS for segment in path.split("/")):
        raise UsageError(f"{req.context or req.method}: the name has a '.' or '..' path segment, which HTTP "
                         "clients remove before sending, so the request would reach another object; such a name "
                         "cannot be used over HTTP")


def _refuse_bad_headers(req: "Request", headers: Mapping[str, str]) -> None:
    """Header values requests or http.client would refuse with a traceback, or send as garbage (NUL and other
    control characters): say which, naming the request. The same rule as every header input's (inputs.py)."""
    for name, value in headers.items():
        text = str(value)
        if problem := header_problem(text):
            shown = "<redacted>" if name.lower() in secret_headers() else repr(text[:40])
            raise UsageError(f"{req.context or req.method}: header {name} has a value HTTP cannot carry "
                             f"({shown} {problem})")


def _error_text(message: str, resp: requests.Response) -> str:
    """An error answer's message on one line, saying so when the answer was an HTML page (a proxy's, not the
    service's)."""
    text = " ".join(str(message).split())
    if "HTML" not in text and _is_html(resp):
        text += f" ({answer_summary(resp)}, not the service's own error)"
    return text


_transport: Transport | None = None
_transport_lock = threading.Lock()


# What requests reads from the environment for every request when trust_env is on: HTTP(S)_PROXY, NO_PROXY and a
# CA bundle. Reading them walks the whole environment twice a request (a profile of 1,000 small copies showed 14 %
# of the client's CPU there), so they are read once per host and read again only when one of them changes.
_ENV_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
             "NO_PROXY", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
_env_cache: dict[tuple, tuple[dict, str | None]] = {}


def _environment(url: str) -> tuple[dict, str | None]:
    """(proxies, CA bundle) for a request to `url`, as requests would take them from the environment."""
    parts = urlsplit(url)
    key = (parts.scheme, parts.netloc, tuple(os.environ.get(v) for v in _ENV_VARS))
    found = _env_cache.get(key)
    if found is None:
        proxies = requests.utils.get_environ_proxies(url, no_proxy=None)
        ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        found = _env_cache[key] = (proxies, ca_bundle)
        if len(_env_cache) > 256:  # environments that keep changing: start over rather than grow
            _env_cache.clear()
    return found


def transport() -> Transport:
    """The process-wide transport, built lazily so nothing with sockets is ever pickled into Pulumi state."""
    global _transport
    if _transport is None:
        with _transport_lock:
            if _transport is None:
                _transport = Transport(max_in_flight=settings.max_requests())
    return _transport
