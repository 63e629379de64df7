"""The certificate the handshake names, made by openssl (side by side with the imports) or, without it, by
cryptography: for localhost, usable by the server, its DER the PEM's."""
from __future__ import annotations

import os
import shutil

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from pulumi_objectcopy.terraform import tls


@pytest.mark.parametrize("maker", ["openssl", "cryptography"])
def test_the_certificate_is_for_localhost_and_its_key_stays_nowhere(maker):
    if maker == "openssl" and not shutil.which("openssl"):
        pytest.skip("no openssl on PATH: the provider uses cryptography (the other case)")
    folder = tls.private_folder()
    try:
        pending = tls.begin(folder) if maker == "openssl" else tls.Pending(folder, None)
        assert (pending.proc is not None) == (maker == "openssl")
        cert_pem, key_pem, der = tls.finish(pending)
        cert = x509.load_pem_x509_certificate(cert_pem)
        assert cert.public_bytes(Encoding.DER) == der
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert names.get_values_for_type(x509.DNSName) == ["localhost"]
        assert b"PRIVATE KEY" in key_pem and os.listdir(folder) == []   # nothing left on disk
        assert oct(os.stat(folder).st_mode & 0o777) == "0o700"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
