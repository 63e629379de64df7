"""Sign requests with the OCI Python SDK's own signer: the oracle for provider/signing/oci.py.

Run by the python of the venv scripts/oci-oracle.sh prints, never by the project's .venv (the SDK
is ~575 MB): imports nothing of ours. One process signs a whole batch:

    stdin:  JSON list of {method, url, headers, body_b64 (or null), date, tenancy, user, fingerprint,
            private_key_pem, passphrase (or null), with_body_headers (true/false/null)}
    stdout: JSON list of {url, path_url, headers} of the prepared request after signing
    --lines: the same, one JSON request per stdin line and one answer per stdout line, for a long-lived process

The Date is frozen by presetting the `date` header: the SDK only `setdefault`s it. The SDK ships
its own vendored requests, which is what it signs and sends with, so that is used to prepare.
"""
from __future__ import annotations

import base64
import json
import sys

import oci
from oci._vendor import requests


def sign(req: dict, signers: dict[tuple, oci.signer.Signer]) -> dict:
    ident = (req["tenancy"], req["user"], req["fingerprint"], req["private_key_pem"], req.get("passphrase"))
    if ident not in signers:
        signers[ident] = oci.signer.Signer(req["tenancy"], req["user"], req["fingerprint"], None,
                                           pass_phrase=req.get("passphrase"),
                                           private_key_content=req["private_key_pem"])
    signer = signers[ident]
    body = base64.b64decode(req["body_b64"]) if req.get("body_b64") is not None else None
    headers = {"date": req["date"], **req.get("headers", {})}
    prepared = requests.Request(req["method"], req["url"], data=body, headers=headers).prepare()
    # Headers requests refuses at prepare() (a leading space): set afterwards, as they would be signed.
    prepared.headers.update(req.get("late_headers", {}))
    # False: Object Storage PutObject/UploadPart (enforce_content_headers=False in the SDK).
    if req.get("with_body_headers") is False:
        signer.without_content_headers(prepared)
    else:
        signer(prepared)
    return {"url": prepared.url, "path_url": prepared.path_url, "headers": dict(prepared.headers),
            "oci_version": oci.__version__}


def main() -> None:
    signers: dict[tuple, oci.signer.Signer] = {}
    if "--lines" not in sys.argv[1:]:
        json.dump([sign(req, signers) for req in json.load(sys.stdin)], sys.stdout)
        return
    for line in sys.stdin:  # long-lived: one request per line, one answer per line (the property tests)
        try:
            out = sign(json.loads(line), signers)
        except Exception as e:  # report, keep serving
            out = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
