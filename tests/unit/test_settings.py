"""Settings are checked where they are read, and refused naming the setting and where it was set: the OBJECTCOPY_*
environment variables and the profiles file (its shape, each profile, each field's type)."""
from __future__ import annotations

import logging

import pytest

from pulumi_objectcopy import profiles
from pulumi_objectcopy.stores.base import ConfigError
from pulumi_objectcopy.urls import parse


@pytest.fixture
def profiles_path(monkeypatch, tmp_path):
    path = tmp_path / "profiles.toml"
    path.write_text("")
    monkeypatch.setenv("OBJECTCOPY_PROFILES", str(path))
    profiles.set_stack_config({})
    return path


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1e3", "64.5", "100001"])
def test_max_requests_must_be_a_count(monkeypatch, value):
    from pulumi_objectcopy import settings
    monkeypatch.setenv("OBJECTCOPY_MAX_REQUESTS", value)
    with pytest.raises(ConfigError, match=r"^OBJECTCOPY_MAX_REQUESTS='.*' is not a number of requests from 1 to"):
        settings.max_requests()


def test_max_requests_default_and_value(monkeypatch):
    from pulumi_objectcopy import settings
    monkeypatch.delenv("OBJECTCOPY_MAX_REQUESTS", raising=False)
    assert settings.max_requests() == 64
    monkeypatch.setenv("OBJECTCOPY_MAX_REQUESTS", " 8 ")
    assert settings.max_requests() == 8


@pytest.mark.parametrize("value,problem", [
    ("127.0.0.1:19000", "must start with http:// or https://"), ("minio:9000", "must start with http://"),
    ("ftp://h", "must start with http://"), ("http://", "has no host name"),
    ("http://h:99999", "port that is not a number"), ("http://h:0", "port that is not a number"),
    ("http://h/?x=1", "query or fragment"), ("http://h\n", "line break"), (" http://h", "begins with a space"),
    ("http://[::1", "is not a URL"),
])
def test_an_endpoint_must_be_an_http_url_in_the_environment_and_in_a_profile(monkeypatch, profiles_path, value,
                                                                              problem):
    from pulumi_objectcopy.stores.s3 import S3Store
    monkeypatch.setenv("OBJECTCOPY_ENDPOINT_S3", value)
    with pytest.raises(ConfigError, match="^OBJECTCOPY_ENDPOINT_S3: ") as e:
        S3Store(profiles.resolve(parse("s3://b/k")))
    assert problem in str(e.value)
    monkeypatch.delenv("OBJECTCOPY_ENDPOINT_S3")
    profiles_path.write_text(f'[profiles.lab]\nscheme = "s3"\nendpoint = {value!r}\n'.replace("'", '"')
                             if "\n" not in value else '[profiles.lab]\nscheme = "s3"\nendpoint = "http://h\\n"\n')
    with pytest.raises(ConfigError, match=f"^profiles file {profiles_path}: profile 'lab': endpoint: ") as e:
        profiles.resolve(parse("s3://lab@b/k"))
    assert problem in str(e.value)


def test_endpoint_credentials_are_never_shown(monkeypatch):
    from pulumi_objectcopy import settings
    monkeypatch.setenv("OBJECTCOPY_ENDPOINT_S3", "ftp://user:hunter2@h")
    with pytest.raises(ConfigError) as e:
        settings.endpoint("s3")
    assert "hunter2" not in str(e.value) and "<redacted>@h" in str(e.value)


def test_check_environment_names_every_bad_setting(monkeypatch, tmp_path):
    from pulumi_objectcopy import settings
    monkeypatch.setenv("OBJECTCOPY_MAX_REQUESTS", "lots")
    monkeypatch.setenv("OBJECTCOPY_ENDPOINT_SWIFT", "swift.example.com/auth/v1.0")
    monkeypatch.setenv("OBJECTCOPY_ENDPOINT_GCS", "https://storage.googleapis.com")
    monkeypatch.setenv("OBJECTCOPY_LOG", "verbose")
    monkeypatch.setenv("OBJECTCOPY_LOG_FILE", str(tmp_path / "no-such-dir" / "log"))
    with pytest.raises(ConfigError) as e:
        settings.check_environment()
    for name in ("OBJECTCOPY_MAX_REQUESTS='lots'", "OBJECTCOPY_ENDPOINT_SWIFT: ", "OBJECTCOPY_ENDPOINT_GCS: 'gcs' is",
                 "OBJECTCOPY_LOG='verbose' is not a log level", "OBJECTCOPY_LOG_FILE="):
        assert name in str(e.value)


def test_a_bad_log_setting_is_one_line_on_stderr_not_a_crashed_provider(monkeypatch, capsys):
    from pulumi_objectcopy import logs
    monkeypatch.setattr(logs, "_configured", False)
    monkeypatch.setenv("OBJECTCOPY_LOG", "chatty")
    logs.configure_from_environment()
    assert capsys.readouterr().err.strip().splitlines() == [
        "objectcopy: the provider's log is off: OBJECTCOPY_LOG='chatty' is not a log level; use one of debug, "
        "info, warning, error"]
    assert not logging.getLogger("pulumi_objectcopy").handlers


@pytest.mark.parametrize("text,problem", [
    ('[lab]\nscheme = "s3"\n', "lab outside the [profiles] table; write each profile as [profiles.NAME]"),
    ('[profile.lab]\nscheme = "s3"\n', "profile outside the [profiles] table"),
    ('profiles = "lab"\n', "profiles must be a table of profile name -> settings ([profiles.NAME]), not str"),
    ('[profiles]\nlab = "s3"\n', "profile 'lab' must be a table of settings ([profiles.lab]), not str"),
    ('[profiles.lab]\nverify_tls = "false"\n', "profile 'lab': verify_tls: must be true or false, not 'false'"),
    ('[profiles.lab]\nconcurrency = "8"\n', "profile 'lab': concurrency: must be a whole number of 1 or more"),
    ('[profiles.lab]\nconcurrency = 0\n', "profile 'lab': concurrency: must be a whole number of 1 or more"),
    ('[profiles.lab]\npart_size = "lots"\n', "profile 'lab': part_size: 'lots' is not a size"),
    ('[profiles.lab]\npart_size = 0\n', "profile 'lab': part_size: 0 is no size"),
    ('[profiles.lab]\ncopy_timeout = -5\n', "profile 'lab': copy_timeout: must be a number of seconds above 0"),
    ('[profiles.lab]\nregion = 5\n', "profile 'lab': region: must be text, not int 5"),
    ('[profiles.lab]\nscheme = "gs"\n', "profile 'lab': scheme: 'gs' is not one of s3, swift"),
    ('[profiles.lab]\nendpont = "http://h"\n', "profile 'lab': endpont: is not a profile field"),
    ('[profiles.ok]\nscheme = "s3"\n[profiles.other]\nkey = "hunter2"\n',
     "profile 'other': key: would hold a secret in plain text; name an environment variable with 'key_env'"),
])
def test_a_profiles_file_of_the_wrong_shape_is_refused_naming_file_profile_and_field(profiles_path, text, problem):
    profiles_path.write_text(text)
    with pytest.raises(ConfigError) as e:
        profiles.resolve(parse("s3://ok@b/k"))
    assert str(e.value).startswith(f"profiles file {profiles_path}: ") and problem in str(e.value)
    assert "hunter2" not in str(e.value)


def test_profile_sizes_take_units(profiles_path):
    profiles_path.write_text('[profiles.lab]\nscheme = "s3"\npart_size = "64MiB"\nmultipart_cutoff = 100000000\n')
    profile = profiles.resolve(parse("s3://lab@b/k"))
    assert (profile.get("part_size"), profile.get("multipart_cutoff")) == (64 * 1024**2, 100_000_000)


@pytest.mark.parametrize("config,problem", [
    ('{"lab": ', "stack config objectcopy:profiles is not JSON"),
    ('["lab"]', "stack config objectcopy:profiles: profiles must be a table"),
    ('{"lab": "s3"}', "stack config objectcopy:profiles: profile 'lab' must be a table"),
    ('{"lab": {"verify_tls": "no"}}', "stack config objectcopy:profiles: profile 'lab': verify_tls: must be true"),
])
def test_stack_config_profiles_are_checked_the_same_way(config, problem):
    with pytest.raises(ConfigError) as e:
        profiles.set_stack_config({"objectcopy:profiles": config})
    assert str(e.value).startswith(problem)
