import pytest

from versionkit import InvalidVersion, Version, bump, parse_version, sort_versions


def test_plain_version():
    assert parse_version("1.4.2") == Version(1, 4, 2)


def test_leading_v_and_build_metadata():
    version = parse_version("v1.0.0-beta+exp.sha.5114f85")
    assert (version.major, version.prerelease, version.build) == (1, ("beta",), "exp.sha.5114f85")


def test_prerelease_may_contain_hyphens():
    version = parse_version("1.0.0-x-y-z.1")
    assert version.prerelease == ("x-y-z", "1")


def test_round_trip_to_string():
    assert str(parse_version("2.1.0-rc-2.7+linux")) == "2.1.0-rc-2.7+linux"


def test_semver_precedence():
    texts = ["1.0.0", "1.0.0-rc.1", "1.0.0-alpha.beta", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.11", "1.0.0-beta.2"]
    assert sort_versions(texts) == [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
    ]


def test_bump_minor_resets_patch_and_prerelease():
    assert str(bump(parse_version("3.2.9-rc.1"), "minor")) == "3.3.0"


@pytest.mark.parametrize("text", ["1.2", "1.2.x", "1.0.0-", "1.0.0-a..b"])
def test_invalid_versions_are_rejected(text):
    with pytest.raises(InvalidVersion):
        parse_version(text)
