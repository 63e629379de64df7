"""The Terraform provider (protocol tfplugin6) over the resources' core: `terraform-provider-objectcopy`.

Our own small protocol layer on grpcio, protobuf and msgpack (stubs generated at build time by scripts/tfproto.py
into _proto/): server.py (handshake, TLS, go-plugin's services), service.py (the Provider service), adapter.py (plan,
apply, read and import over the core), tfschema.py, values.py, diagnostics.py, provider_config.py, tflog.py, and
install.py (`objectcopy terraform install`). Nothing here imports pulumi: terraform starts the provider 3 to 5 times
per command.
"""
