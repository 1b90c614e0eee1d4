"""Parse hex colours, mix them and build gradients between them."""

from colormix.blend import contrast_ratio, darken, gradient, lighten, mix, relative_luminance
from colormix.hexcolor import Color, parse_hex, parse_rgb, to_hex

__all__ = [
    "Color",
    "contrast_ratio",
    "darken",
    "gradient",
    "lighten",
    "mix",
    "parse_hex",
    "parse_rgb",
    "relative_luminance",
    "to_hex",
]
