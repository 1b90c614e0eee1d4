"""CIDR blocks: prefixes and netmasks, block summaries, membership and splitting."""

from __future__ import annotations

from ipcalc.address import MAX_ADDRESS, format_ipv4, parse_ipv4


def prefix_to_mask(prefix: int) -> int:
    """The netmask with `prefix` leading one bits: 24 gives 255.255.255.0."""
    if not 0 <= prefix <= 32:
        raise ValueError(f"prefix length must be 0-32, got {prefix}")
    return (MAX_ADDRESS << (32 - prefix)) & MAX_ADDRESS


def mask_to_prefix(mask: str) -> int:
    """The prefix length of a netmask such as "255.255.240.0"."""
    value = parse_ipv4(mask)
    prefix = bin(value).count("1")
    if prefix_to_mask(prefix) != value:
        raise ValueError(f"not a contiguous netmask: {mask!r}")
    return prefix


def parse_cidr(text: str) -> tuple[int, int]:
    """The address and prefix length of "10.1.2.3/16"; a bare address counts as /32."""
    address, _, prefix = text.strip().partition("/")
    if not prefix:
        return parse_ipv4(address), 32
    if not prefix.isdigit():
        raise ValueError(f"bad prefix length in {text!r}")
    return parse_ipv4(address), int(prefix)


def describe(block: str) -> dict[str, str | int]:
    """A summary of a CIDR block such as "192.168.1.77/24".

    Gives the network address (host bits cleared), the broadcast address
    (host bits set), the netmask, the first and last usable host and the
    number of usable hosts. A /31 or /32 has no separate network and
    broadcast addresses, so every address in it is usable (RFC 3021).
    """
    address, prefix = parse_cidr(block)
    mask = prefix_to_mask(prefix)
    network = address & mask
    broadcast = network | ~mask
    if prefix >= 31:
        first, last = network, broadcast
    else:
        first, last = network + 1, broadcast - 1
    return {
        "network": format_ipv4(network),
        "broadcast": format_ipv4(broadcast),
        "netmask": format_ipv4(mask),
        "first_host": format_ipv4(first),
        "last_host": format_ipv4(last),
        "hosts": last - first + 1,
    }


def contains(block: str, address: str) -> bool:
    """True if `address` lies inside the CIDR block."""
    network, prefix = parse_cidr(block)
    mask = prefix_to_mask(prefix)
    return parse_ipv4(address) & mask == network & mask


def subnets(block: str, new_prefix: int) -> list[str]:
    """Split a block into the consecutive blocks of a longer prefix length."""
    address, prefix = parse_cidr(block)
    if not prefix <= new_prefix <= 32:
        raise ValueError(f"cannot split a /{prefix} into /{new_prefix} blocks")
    network = address & prefix_to_mask(prefix)
    size = 1 << (32 - new_prefix)
    count = 1 << (new_prefix - prefix)
    return [f"{format_ipv4(network + index * size)}/{new_prefix}" for index in range(count)]
