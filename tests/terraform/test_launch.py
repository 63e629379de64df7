"""The provider process as terraform starts it: the magic cookie, the handshake line, TLS with the certificate it
names, the real core registry, SIGINT ignored, Shutdown ending it, and no Pulumi imported on the way."""
from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys

import grpc
import pytest

from pulumi_objectcopy.terraform._proto import grpc_controller_pb2, grpc_controller_pb2_grpc, tfplugin6_pb2_grpc
from pulumi_objectcopy.terraform._proto import tfplugin6_pb2 as pb
from pulumi_objectcopy.terraform.main import COOKIE, COOKIE_KEY
from pulumi_objectcopy.terraform.values import encode

# Runs the provider's own entry point, and as it exits (os._exit, after Shutdown) writes which modules the process
# had imported.
PROBE = """
import json, os, sys
def record(code, exit=os._exit):
    open(sys.argv[1], "w").write(json.dumps(sorted(sys.modules)))
    exit(code)
os._exit = record
from pulumi_objectcopy.terraform.main import main
sys.exit(main())
"""


@pytest.fixture
def launched(tmp_path):
    modules = tmp_path / "modules.json"
    env = {**os.environ, COOKIE_KEY: COOKIE, "PLUGIN_PROTOCOL_VERSIONS": "5,6"}
    proc = subprocess.Popen([sys.executable, "-c", PROBE, str(modules)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        yield proc, proc.stdout.readline().strip(), modules
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()


def dv(value) -> pb.DynamicValue:
    return pb.DynamicValue(msgpack=encode(value))


def _channel(handshake: str) -> grpc.Channel:
    core, app, network, address, protocol, cert = handshake.split("|")
    der = base64.b64decode(cert + "=" * (-len(cert) % 4))
    pem = b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"
    return grpc.secure_channel(f"unix:{address}", grpc.ssl_channel_credentials(root_certificates=pem),
                               options=[("grpc.ssl_target_name_override", "localhost")])


def test_serves_the_core_schema_over_tls_and_never_imports_pulumi(launched):
    proc, handshake, modules = launched
    core, app, network, address, protocol, cert = handshake.split("|")
    assert (core, app, network, protocol) == ("1", "6", "unix", "grpc") and not cert.endswith("=")
    assert oct(os.stat(os.path.dirname(address)).st_mode & 0o777) == "0o700"
    with _channel(handshake) as channel:
        schema = tfplugin6_pb2_grpc.ProviderStub(channel).GetProviderSchema(pb.GetProviderSchema.Request())
        assert not schema.diagnostics
        assert "objectcopy_copied_object" in schema.resource_schemas
        assert "objectcopy_object" in schema.data_source_schemas
        proc.send_signal(signal.SIGINT)  # terraform's Ctrl-C reaches the provider's process group too
        again = tfplugin6_pb2_grpc.ProviderStub(channel).GetMetadata(pb.GetMetadata.Request())
        assert "objectcopy_copied_object" in [r.type_name for r in again.resources]
        grpc_controller_pb2_grpc.GRPCControllerStub(channel).Shutdown(grpc_controller_pb2.Empty())
    assert proc.wait(10) == 0
    imported = json.loads(modules.read_text())
    assert "pulumi_objectcopy" in imported and "pulumi" not in imported
    assert not os.path.exists(os.path.dirname(address))  # the private folder is removed


# What a process that only describes or validates must not import (terraform starts one for the schema and one to
# validate, per command): the HTTP client, crypto, Pulumi, and our own I/O: transfer, the HTTP layer, a store's code
# (the stores' declarations, *_type, are what a URL's check reads).
HEAVY = ("requests", "urllib3", "cryptography", "pulumi", "pulumi_objectcopy.http", "pulumi_objectcopy.transfer",
         "pulumi_objectcopy.services.epm", "pulumi_objectcopy.services.analytics",
         *(f"pulumi_objectcopy.stores.{m}"
           for m in ("s3", "s3family", "swift", "cos", "oss", "oci", "local", "common")))


def _heavy(modules) -> list[str]:
    return sorted(m for m in json.loads(modules.read_text()) if any(m == h or m.startswith(h + ".") for h in HEAVY))


def _shut_down(proc, channel) -> None:
    grpc_controller_pb2_grpc.GRPCControllerStub(channel).Shutdown(grpc_controller_pb2.Empty())
    assert proc.wait(10) == 0


def test_the_handshake_and_the_schema_import_no_http_client_crypto_or_pulumi(launched):
    """Terraform's first process per command asks for the schema alone: it costs an import of gRPC and the
    schemas, nothing of the I/O the resources do."""
    proc, handshake, modules = launched
    with _channel(handshake) as channel:
        schema = tfplugin6_pb2_grpc.ProviderStub(channel).GetProviderSchema(pb.GetProviderSchema.Request())
        assert not schema.diagnostics and "objectcopy_copied_object" in schema.resource_schemas
        _shut_down(proc, channel)
    assert _heavy(modules) == []


def test_validating_a_configuration_imports_no_http_client_crypto_or_pulumi(launched):
    """The second process validates the provider block and every resource (URLs of each store, a date in RFC 1123
    form), and terraform upgrades each state: the schemas' rules, without the resources' I/O code."""
    proc, handshake, modules = launched
    with _channel(handshake) as channel:
        stub = tfplugin6_pb2_grpc.ProviderStub(channel)
        schema = stub.GetProviderSchema(pb.GetProviderSchema.Request())
        fields = {a.name: None for a in schema.provider.block.attributes[0].nested_type.attributes}
        provider = {"profiles": {"minio": {**fields, "scheme": "s3", "endpoint": "http://127.0.0.1:9000"}}}
        assert not stub.ValidateProviderConfig(pb.ValidateProviderConfig.Request(config=dv(provider))).diagnostics
        attributes = [a.name for a in schema.resource_schemas["objectcopy_copied_object"].block.attributes]
        for source, destination in (("s3://minio@golden/db.dump", "swift://env/db.dump"),
                                    ("oci://ns/golden/db.dump", "file:///tmp/env/db.dump"),
                                    ("cos://golden-1250000000/db.dump", "oss://env/db.dump")):
            config = {**dict.fromkeys(attributes), "source": source, "destination": destination,
                      "if_unmodified_since": "Wed, 21 Oct 2026 07:28:00 GMT"}
            checked = stub.ValidateResourceConfig(pb.ValidateResourceConfig.Request(
                type_name="objectcopy_copied_object", config=dv(config),
                client_capabilities=pb.ClientCapabilities(write_only_attributes_allowed=True)))
            assert not checked.diagnostics, checked.diagnostics
        upgraded = stub.UpgradeResourceState(pb.UpgradeResourceState.Request(
            type_name="objectcopy_copied_object", version=0,
            raw_state=pb.RawState(json=json.dumps({"id": "s3://golden/x", "source": "s3://golden/db.dump"}).encode())))
        assert not upgraded.diagnostics
        _shut_down(proc, channel)
    assert _heavy(modules) == []


def test_started_by_hand_it_says_it_is_a_plugin():
    env = {k: v for k, v in os.environ.items() if k != COOKIE_KEY}
    run = subprocess.run([sys.executable, "-m", "pulumi_objectcopy.terraform"], env=env, capture_output=True,
                         text=True, timeout=30)
    assert run.returncode == 1 and run.stdout == ""
    assert "This binary is a plugin" in run.stderr and "objectcopy terraform install" in run.stderr


def test_a_client_without_protocol_6_is_told_so():
    env = {**os.environ, COOKIE_KEY: COOKIE, "PLUGIN_PROTOCOL_VERSIONS": "4,5"}
    run = subprocess.run([sys.executable, "-m", "pulumi_objectcopy.terraform"], env=env, capture_output=True,
                         text=True, timeout=30)
    assert run.returncode == 1 and "protocol 6" in run.stderr and "4, 5" in run.stderr
