"""IPv4 addresses and CIDR blocks without the ipaddress module: masks, ranges, membership."""

from ipcalc.address import format_ipv4, parse_ipv4
from ipcalc.blocks import contains, describe, mask_to_prefix, parse_cidr, prefix_to_mask, subnets

__all__ = [
    "contains",
    "describe",
    "format_ipv4",
    "mask_to_prefix",
    "parse_cidr",
    "parse_ipv4",
    "prefix_to_mask",
    "subnets",
]
