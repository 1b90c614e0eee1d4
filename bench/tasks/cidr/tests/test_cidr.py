import pytest

from ipcalc import contains, describe, format_ipv4, mask_to_prefix, parse_ipv4, prefix_to_mask, subnets


def test_addresses_round_trip():
    assert parse_ipv4("192.168.0.1") == 0xC0A80001
    assert format_ipv4(0x0A000001) == "10.0.0.1"
    assert format_ipv4(parse_ipv4("255.255.255.255")) == "255.255.255.255"


def test_malformed_addresses_are_rejected():
    for text in ["1.2.3", "1.2.3.256", "1.2.3.x", "01.2.3.4"]:
        with pytest.raises(ValueError):
            parse_ipv4(text)


def test_prefixes_and_netmasks():
    assert format_ipv4(prefix_to_mask(24)) == "255.255.255.0"
    assert format_ipv4(prefix_to_mask(0)) == "0.0.0.0"
    assert mask_to_prefix("255.255.240.0") == 20
    with pytest.raises(ValueError):
        mask_to_prefix("255.0.255.0")


def test_describe_a_class_c_block():
    assert describe("192.168.1.77/24") == {
        "network": "192.168.1.0",
        "broadcast": "192.168.1.255",
        "netmask": "255.255.255.0",
        "first_host": "192.168.1.1",
        "last_host": "192.168.1.254",
        "hosts": 254,
    }


def test_describe_a_small_block():
    summary = describe("10.20.30.45/29")
    assert summary["network"] == "10.20.30.40"
    assert summary["broadcast"] == "10.20.30.47"
    assert summary["hosts"] == 6


def test_point_to_point_and_single_host_blocks():
    assert describe("172.16.0.9/31")["hosts"] == 2
    single = describe("8.8.8.8")
    assert (single["first_host"], single["last_host"], single["hosts"]) == ("8.8.8.8", "8.8.8.8", 1)


def test_membership():
    assert contains("10.0.0.0/8", "10.200.1.1")
    assert not contains("10.0.0.0/8", "11.0.0.1")
    assert contains("0.0.0.0/0", "203.0.113.9")


def test_splitting_a_block():
    assert subnets("192.168.4.0/22", 24) == [
        "192.168.4.0/24",
        "192.168.5.0/24",
        "192.168.6.0/24",
        "192.168.7.0/24",
    ]
    with pytest.raises(ValueError):
        subnets("10.0.0.0/24", 16)
