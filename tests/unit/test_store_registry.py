"""One registry of stores (provider/stores/__init__.py): each store declares its scheme, URL shape, profile fields
and secret headers in one place (a StoreType), and what reads them follows: URLs, profiles, the HTTP layer's
redaction. A profile takes its own store's fields only. A new store is one module and one line."""
from __future__ import annotations

import re
import subprocess
import sys
from importlib import import_module

import pytest
from pulumi_objectcopy import cli, profiles, stores, transfer
from pulumi_objectcopy.errors import ConfigError, NotFound, URLError
from pulumi_objectcopy.http import redact_headers
from pulumi_objectcopy.stores import STORE_MODULES, open_store, store_type, store_types
from pulumi_objectcopy.stores.base import MiB, WriteOptions
from pulumi_objectcopy.urls import parse


@pytest.fixture
def profiles_path(monkeypatch, tmp_path):
    path = tmp_path / "profiles.toml"
    path.write_text("")
    monkeypatch.setenv("OBJECTCOPY_PROFILES", str(path))
    profiles.set_stack_config({})
    return path


def refusal(path, url: str) -> str:
    with pytest.raises(ConfigError) as e:
        profiles.resolve(parse(url))
    return str(e.value)


# --- each store's profile fields --------------------------------------------------------------------------------
def test_a_cos_profile_cannot_carry_swift_fields_and_the_refusal_lists_what_cos_takes(profiles_path):
    profiles_path.write_text('[profiles.golden]\nscheme = "cos"\nregion = "ap-guangzhou"\n'
                             'auth_url = "https://swift.example.com/auth/v1.0"\n')
    message = refusal(profiles_path, "cos://golden@bucket-1250000000/key")
    prefix = (f"profiles file {profiles_path}: profile 'golden': auth_url: is not a field of cos:// profiles, "
              "which take ")
    assert message.startswith(prefix)
    assert message[len(prefix):].split(", ") == sorted(store_type("cos").fields)
    assert "secret_id_env" in message and "service_domain" in message


@pytest.mark.parametrize("scheme,field", [
    ("swift", "secret_id_env"), ("s3", "copy_timeout"), ("oci", "addressing"), ("oss", "service_domain"),
    ("s3", "auth_url"), ("mem", "endpoint"), ("file", "region"),
])
def test_each_store_refuses_a_field_it_does_not_take(profiles_path, scheme, field):
    profiles_path.write_text(f'[profiles.p]\nscheme = "{scheme}"\n{field} = "x"\n')
    with pytest.raises(ConfigError, match=rf"profile 'p': {field}: is not a field of {scheme}:// profiles, which take"):
        profiles.load_profiles()


def test_a_profile_without_a_scheme_is_checked_against_the_scheme_it_is_used_with(profiles_path):
    profiles_path.write_text('[profiles.shared]\nauth_url = "https://swift.example.com/auth/v1.0"\n'
                             'user = "account:user"\npart_size = "8MiB"\n')
    profile = profiles.resolve(parse("swift://shared@container/object"))
    assert (profile.get("auth_url"), profile.get("part_size")) == ("https://swift.example.com/auth/v1.0", 8 * MiB)
    assert refusal(profiles_path, "cos://shared@bucket-1/key").startswith(
        f"profiles file {profiles_path}: profile 'shared': auth_url: is not a field of cos:// profiles")


def test_stack_config_profiles_are_checked_per_store(profiles_path):
    with pytest.raises(ConfigError, match=r"^stack config objectcopy:profiles: profile 'lab': secret_id_env: is not "
                                          r"a field of s3:// profiles"):
        profiles.set_stack_config({"objectcopy:profiles": '{"lab": {"scheme": "s3", "secret_id_env": "X"}}'})
    profiles.set_stack_config({"objectcopy:profiles": '{"lab": {"secret_id_env": "X"}}'})
    assert refusal(profiles_path, "s3://lab@bucket/key").startswith(
        "stack config objectcopy:profiles: profile 'lab': secret_id_env: is not a field of s3:// profiles")
    profiles.set_stack_config({})


@pytest.mark.parametrize("scheme,field,instead", [
    ("swift", "token", "'key_env or password_env'"), ("cos", "secret_key", "'secret_key_env'"),
    ("oci", "private_key", "'key_file or private_key_env'"), ("s3", "aws_secret_access_key", "'secret_access_key_env'"),
])
def test_a_secret_in_plain_text_is_refused_naming_the_field_its_store_takes_instead(profiles_path, scheme, field,
                                                                                   instead):
    profiles_path.write_text(f'[profiles.p]\nscheme = "{scheme}"\n{field} = "hunter2"\n')
    with pytest.raises(ConfigError) as e:
        profiles.load_profiles()
    assert f"{field}: would hold a secret in plain text; name an environment variable with {instead} instead" \
        in str(e.value)
    assert "hunter2" not in str(e.value)


def test_profile_problems_checks_one_profiles_settings_for_a_scheme():
    """What the Terraform provider's `profiles` block calls: (field, problem) pairs, nothing raised."""
    assert profiles.profile_problems({"region": "ap-guangzhou", "auth_url": "http://h"}, "cos") == [
        ("auth_url", "is not a field of cos:// profiles, which take " + ", ".join(sorted(store_type("cos").fields)))]
    assert profiles.profile_problems({"auth_url": "http://h", "part_size": "8MiB"}, "swift") == []
    assert profiles.profile_problems({"verify_tls": "no", "scheme": "s3"}, "cos") == [
        ("verify_tls", "must be true or false, not 'no'"), ("scheme", "'s3', but the profile is used for cos:// URLs")]
    assert profiles.check_profile({"part_size": "8MiB"}, "swift", name="p", where="here") == {"part_size": 8 * MiB}
    with pytest.raises(ConfigError, match=r"^here: profile 'p': password: would hold a secret in plain text"):
        profiles.check_profile({"password": "hunter2"}, "swift", name="p", where="here")
    cos_fields = profiles.profile_fields("cos")
    assert cos_fields["single_copy_limit"] == "size" and "auth_url" not in cos_fields
    # every store's, as the Terraform provider's `profiles` block reads them
    assert {"auth_url", "secret_id_env", "copy_timeout"} <= profiles.KNOWN_FIELDS
    assert profiles.PLAINTEXT_SECRETS["password"] == "password_env"


# --- the declarations ---------------------------------------------------------------------------------------------
def test_the_declarations_agree_and_name_only_what_exists():
    kinds: dict[str, set[str]] = {}
    for declared in store_types().values():
        for field, kind in declared.fields.items():
            kinds.setdefault(field, set()).add(kind)
        for secret, instead in declared.plaintext_secrets.items():
            assert secret not in declared.fields, (declared.scheme, secret)
            assert set(instead.split(" or ")) <= set(declared.fields), (declared.scheme, instead)
        assert str(parse(declared.url.example, allow_prefix=True)) == declared.url.example
        assert callable(import_module(declared.implementation).from_profile)
    assert {field: k for field, k in kinds.items() if len(k) > 1} == {}  # a field means one thing in every store
    assert list(store_types()) == list(STORE_MODULES) == ["s3", "swift", "file", "cos", "oss", "oci", "mem"]


def test_parsing_any_url_imports_no_http_client_crypto_or_pulumi():
    """Every URL parsed reads its store's declaration, and every plan checks a name against the store's limits:
    those stay cheap to import (the Terraform provider and the command start often)."""
    code = ("import sys\nfrom pulumi_objectcopy import stores, urls\n"
            "for scheme in stores.STORE_MODULES:\n    urls.parse(stores.store_type(scheme).url.example, "
            "allow_prefix=True)\n    stores.default_limits(scheme)\n"
            "print(sorted(m for m in ('requests', 'urllib3', 'cryptography', 'defusedxml', 'pulumi', 'grpc') "
            "if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# --- a new store: one module, one line ---------------------------------------------------------------------------
@pytest.fixture
def box_registered(monkeypatch, profiles_path):
    monkeypatch.setitem(stores.STORE_MODULES, "box", "tests.unit.box_store")  # the one line
    profiles_path.write_text('[profiles.attic]\nscheme = "box"\nlabel = "attic"\n')


def test_a_new_store_s_urls_and_profiles_follow_its_declaration(box_registered, profiles_path):
    url = parse("box://attic@shelf/a/b.txt")
    assert (url.bucket, url.key, url.profile, str(url)) == ("shelf", "a/b.txt", "attic", "box://attic@shelf/a/b.txt")
    with pytest.raises(URLError, match=r"^src: 'box://attic@' has no shelf; expected box://shelf/key$"):
        parse("box://attic@", field="src")
    with pytest.raises(URLError, match=re.escape("supported: s3://, swift://, file://, cos://, oss://, oci://, mem://, "
                                                 "box://")):
        parse("gs://b/k")
    assert redact_headers({"X-Box-Key": "k", "Range": "bytes=0-1"}) == {"X-Box-Key": "<redacted>",
                                                                        "Range": "bytes=0-1"}
    profiles_path.write_text('[profiles.attic]\nscheme = "box"\nlabel = "attic"\nregion = "eu"\n')
    assert refusal(profiles_path, "box://attic@shelf/k").endswith(
        "profile 'attic': region: is not a field of box:// profiles, which take concurrency, label, multipart_cutoff, "
        "part_size, scheme")


def test_a_new_store_copies_through_the_transfer_layer_and_the_command(box_registered, tmp_path, capsys):
    from pulumi_objectcopy.stores import memory
    memory.create_bucket("registry-seed")
    seed = parse("mem://registry-seed/seed.bin")
    data = bytes(range(256)) * 1000
    open_store(seed).write(seed, data, len(data), options=WriteOptions(metadata={"owner": "team-a"}))
    boxed = parse("box://attic@shelf/copies/seed.bin")
    result = transfer.copy_object(seed, boxed)
    assert result.method == "streamed"
    info = open_store(boxed).head(boxed)
    assert (info.size, info.etag, info.metadata) == (len(data), result.source.etag, {"owner": "team-a"})
    with pytest.raises(NotFound):  # the profile's own field reached the store: another label is another box
        open_store(parse("box://shelf/copies/seed.bin")).head(parse("box://shelf/copies/seed.bin"))
    assert cli.main(["cp", str(boxed), f"file://{tmp_path}/out.bin"]) == 0, capsys.readouterr().err
    assert (tmp_path / "out.bin").read_bytes() == data
