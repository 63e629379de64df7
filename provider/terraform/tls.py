"""The provider's TLS certificate, made fresh for each process as go-plugin makes one: self-signed, for "localhost",
named in the handshake so terraform pins it.

`openssl req` makes it in a process of its own, started before the provider imports gRPC, so the two run side by
side (importing cryptography's x509 would add about 30 ms to every start, and terraform starts the provider 3 to 5
times per command). Where openssl is missing or fails, cryptography makes it.
"""
from __future__ import annotations

import base64
import datetime
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

OPENSSL_TIMEOUT = 10.0


@dataclass
class Pending:
    folder: str
    proc: subprocess.Popen | None

    @property
    def key_file(self) -> str:
        return os.path.join(self.folder, "key.pem")

    @property
    def cert_file(self) -> str:
        return os.path.join(self.folder, "cert.pem")


def private_folder() -> str:
    """A new folder only we can enter, for the socket (and the key while it is made)."""
    folder = tempfile.mkdtemp(prefix="tfobjectcopy-", dir=os.environ.get("PLUGIN_UNIX_SOCKET_DIR") or None)
    os.chmod(folder, 0o700)
    return folder


def begin(folder: str) -> Pending:
    pending = Pending(folder, None)
    openssl = shutil.which("openssl")
    if openssl:
        try:
            pending.proc = subprocess.Popen(
                [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-days", "1", "-subj", "/O=objectcopy/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                 "-addext", "extendedKeyUsage=serverAuth,clientAuth", "-keyout", pending.key_file,
                 "-out", pending.cert_file],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError:
            pending.proc = None
    return pending


def finish(pending: Pending) -> tuple[bytes, bytes, bytes]:
    """PEM certificate, PEM key, DER certificate."""
    made = False
    if pending.proc is not None:
        try:
            made = pending.proc.wait(OPENSSL_TIMEOUT) == 0
        except subprocess.TimeoutExpired:
            pending.proc.kill()
    try:
        if made:
            with open(pending.cert_file, "rb") as c, open(pending.key_file, "rb") as k:
                cert_pem, key_pem = c.read(), k.read()
            return cert_pem, key_pem, der(cert_pem)
    finally:
        for leftover in (pending.key_file, pending.cert_file):
            if os.path.exists(leftover):
                os.unlink(leftover)
    return with_cryptography()


def der(cert_pem: bytes) -> bytes:
    body = cert_pem.split(b"-----BEGIN CERTIFICATE-----")[1].split(b"-----END CERTIFICATE-----")[0]
    return base64.b64decode(b"".join(body.split()))


def with_cryptography() -> tuple[bytes, bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "objectcopy"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(seconds=30)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem, cert.public_bytes(serialization.Encoding.DER)
