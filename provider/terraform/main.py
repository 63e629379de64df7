"""`terraform-provider-objectcopy`: what terraform runs. Only the checks live here, so that a mistaken start costs
nothing; serving imports grpc."""
from __future__ import annotations

import os
import sys

COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"


def main(argv: list[str] | None = None) -> int:
    if os.environ.get(COOKIE_KEY) != COOKIE:
        print("This binary is a plugin. These are not meant to be executed directly.\n"
              "Please execute the program that consumes these plugins, which will\n"
              "load any plugins automatically (terraform-provider-objectcopy: run `objectcopy terraform install "
              "--mirror DIR` and use it from terraform)", file=sys.stderr)
        return 1
    offered = [v.strip() for v in os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "6").split(",")]
    if "6" not in offered:
        print(f"terraform-provider-objectcopy speaks plugin protocol 6 (Terraform 1.0 or later, OpenTofu); this "
              f"client offers {', '.join(offered)}", file=sys.stderr)
        return 1
    from . import tls
    pending = tls.begin(tls.private_folder())  # openssl makes the certificate while gRPC is imported
    from .server import serve
    return serve(pending)
