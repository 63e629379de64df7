import pytest

from pulumi_objectcopy import profiles
from pulumi_objectcopy.stores.base import ConfigError
from pulumi_objectcopy.stores.s3 import S3Store
from pulumi_objectcopy.urls import parse


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION",
                 "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "OBJECTCOPY_ENDPOINT_S3"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("OBJECTCOPY_PROFILES", str(tmp_path / "profiles.toml"))
    (tmp_path / "profiles.toml").write_text("")
    profiles.set_stack_config({})
    return tmp_path


def write_profiles(tmp_path, text):
    (tmp_path / "profiles.toml").write_text(text)


def test_vendor_variables_apply_without_a_profile(clean_env, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    store = S3Store(profiles.resolve(parse("s3://b/k")))
    assert store.credentials.access_key == "AKIDENV"
    assert store.endpoint == "https://s3.eu-west-3.amazonaws.com" and not store.path_style
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:19000")
    store = S3Store(profiles.resolve(parse("s3://b/k")))
    assert store.endpoint == "http://127.0.0.1:19000" and store.path_style


def test_aws_shared_files_profile(clean_env, monkeypatch):
    (clean_env / "aws-credentials").write_text("[dev]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n")
    (clean_env / "aws-config").write_text("[profile dev]\nregion = ap-south-1\nendpoint_url = http://h:1\n"
                                          "s3 =\n  addressing_style = virtual\n")
    monkeypatch.setenv("AWS_PROFILE", "dev")
    store = S3Store(profiles.resolve(parse("s3://b/k")))
    assert (store.credentials.access_key, store.region, store.endpoint) == ("AKIDFILE", "ap-south-1", "http://h:1")
    assert not store.path_style


def test_named_profile_reads_credentials_from_the_variables_it_names(clean_env, monkeypatch):
    write_profiles(clean_env, '[profiles.lab]\nscheme = "s3"\nendpoint = "http://lab:9000"\n'
                              'access_key_id_env = "LAB_KEY"\nsecret_access_key_env = "LAB_SECRET"\n')
    monkeypatch.setenv("LAB_KEY", "labkey")
    with pytest.raises(ConfigError, match="LAB_SECRET"):
        S3Store(profiles.resolve(parse("s3://lab@b/k")))
    monkeypatch.setenv("LAB_SECRET", "labsecret")
    store = S3Store(profiles.resolve(parse("s3://lab@b/k")))
    assert (store.credentials.access_key, store.endpoint) == ("labkey", "http://lab:9000")


def test_plaintext_secret_in_a_profile_is_refused(clean_env):
    write_profiles(clean_env, '[profiles.bad]\nsecret_access_key = "hunter2"\n')
    with pytest.raises(ConfigError, match="secret_access_key_env") as e:
        profiles.resolve(parse("s3://bad@b/k"))
    assert "hunter2" not in str(e.value)


def test_unknown_profile_and_wrong_scheme(clean_env):
    write_profiles(clean_env, '[profiles.sw]\nscheme = "swift"\n')
    with pytest.raises(ConfigError, match="profile 'nope' .* not defined .*known: sw"):
        profiles.resolve(parse("s3://nope@b/k"))
    with pytest.raises(ConfigError, match="is for swift:// URLs"):
        profiles.resolve(parse("s3://sw@b/k"))


def test_stack_config_profiles_and_secret_config_keys(clean_env):
    profiles.set_stack_config({
        "objectcopy:profiles": '{"stk": {"scheme": "s3", "endpoint": "http://stk:1", "access_key_id": "AKSTK",'
                               ' "secret_access_key_config": "stkSecret"}}',
        "objectcopy:stkSecret": "from-stack"})
    store = S3Store(profiles.resolve(parse("s3://stk@b/k")))
    assert (store.credentials.access_key, store.credentials.secret_key) == ("AKSTK", "from-stack")
    profiles.set_stack_config({})


def test_missing_credentials_message_says_how_to_fix(clean_env, monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_botocore(name, *a, **kw):
        if name.startswith("botocore"):
            raise ImportError(name)
        return real_import(name, *a, **kw)
    monkeypatch.setattr(builtins, "__import__", no_botocore)
    with pytest.raises(ConfigError, match="AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"):
        S3Store(profiles.resolve(parse("s3://b/k")))


@pytest.mark.parametrize("provider,endpoint,single", [
    ("cos", "https://cos.ap-guangzhou.myqcloud.com", 5 * 1024**3),
    ("oss", "https://oss-ap-guangzhou.aliyuncs.com", 1024**3),
])
def test_s3_presets_for_cos_and_oss(clean_env, monkeypatch, provider, endpoint, single):
    write_profiles(clean_env, f'[profiles.p]\nscheme = "s3"\nprovider = "{provider}"\nregion = "ap-guangzhou"\n'
                              'access_key_id_env = "K"\nsecret_access_key_env = "S"\n')
    monkeypatch.setenv("K", "k")
    monkeypatch.setenv("S", "s")
    store = S3Store(profiles.resolve(parse("s3://p@b/k")))
    assert store.endpoint == endpoint and not store.path_style and store.limits.max_single_copy == single
    assert store._target("bucket-1250000000", "a b")[0] == endpoint.replace("https://", "https://bucket-1250000000.") \
        + "/a%20b"


def test_tls_verification_is_on_unless_a_profile_turns_it_off_and_then_it_warns(clean_env, caplog):
    write_profiles(clean_env, '[profiles.local]\nscheme = "s3"\nendpoint = "https://127.0.0.1:9443"\n'
                              'verify_tls = false\n[profiles.ca]\nscheme = "s3"\nca_bundle = "~/ca.pem"\n')
    assert profiles.resolve(parse("s3://b/k")).verify is True
    assert profiles.resolve(parse("s3://ca@b/k")).verify.endswith("/ca.pem")
    assert not caplog.records
    local = profiles.resolve(parse("s3://local@b/k"))
    with caplog.at_level("WARNING", logger="pulumi_objectcopy"):
        assert local.verify is False and local.verify is False
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "verify_tls = false" in warnings[0] and "https://127.0.0.1:9443" in warnings[0]


def test_files_edited_between_two_calls_are_read_again(clean_env, monkeypatch):
    """Profiles and the AWS shared files are read at each call (parsed again only when they changed): an edit made
    between two calls, even one that keeps the file's size, applies to the next."""
    monkeypatch.setenv("BOX_KEY", "k")
    monkeypatch.setenv("BOX_SECRET", "s")
    write_profiles(clean_env, '[profiles.box]\nscheme = "s3"\nendpoint = "http://10.0.0.1:9000"\n'
                              'access_key_id_env = "BOX_KEY"\nsecret_access_key_env = "BOX_SECRET"\n')
    (clean_env / "aws-config").write_text("[default]\nregion = eu-west-1\n")
    first = S3Store(profiles.resolve(parse("s3://box@b/k")))
    write_profiles(clean_env, '[profiles.box]\nscheme = "s3"\nendpoint = "http://10.0.0.2:9000"\n'
                              'access_key_id_env = "BOX_KEY"\nsecret_access_key_env = "BOX_SECRET"\n')
    (clean_env / "aws-config").write_text("[default]\nregion = eu-west-2\n")
    second = S3Store(profiles.resolve(parse("s3://box@b/k")))
    assert (first.endpoint, first.region) == ("http://10.0.0.1:9000", "eu-west-1")
    assert (second.endpoint, second.region) == ("http://10.0.0.2:9000", "eu-west-2")
    write_profiles(clean_env, '[profiles.box]\nscheme = "s3"\nendpoint = 9000\n')
    with pytest.raises(ConfigError, match=r"profile 'box': endpoint: must be text"):
        profiles.resolve(parse("s3://box@b/k"))
    (clean_env / "aws-config").write_text("region = nowhere\n")
    with pytest.raises(ConfigError, match="aws-config"):
        S3Store(profiles.Profile(None, "s3", {}))
