"""Blending colours: linear mixes, gradients and lightening."""

from __future__ import annotations

from colormix.hexcolor import Color

WHITE = Color(255, 255, 255)
BLACK = Color(0, 0, 0)


def _lerp(start: float, end: float, fraction: float) -> float:
    """The value ``fraction`` of the way from ``start`` to ``end``."""
    return start + (end - start) * fraction


def mix(first: Color, second: Color, weight: float) -> Color:
    """Blend two colours channel by channel.

    ``weight`` 0 gives ``first``, 1 gives ``second`` and 0.5 the midpoint;
    channels are rounded to the nearest integer.
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must be within 0..1, got {weight}")
    return Color(*(round(_lerp(a, b, weight)) for a, b in zip(first, second)))


def gradient(start: Color, end: Color, steps: int) -> list[Color]:
    """``steps`` evenly spaced colours going from ``start`` to ``end``, both included."""
    if steps < 2:
        raise ValueError(f"a gradient needs at least 2 steps, got {steps}")
    colors = []
    for index in range(steps):
        fraction = index / (steps - 1)
        colors.append(mix(end, start, fraction))
    return colors


def lighten(color: Color, amount: float) -> Color:
    """Move ``color`` towards white by ``amount`` (0 = unchanged, 1 = white)."""
    return mix(color, WHITE, amount)


def darken(color: Color, amount: float) -> Color:
    """Move ``color`` towards black by ``amount`` (0 = unchanged, 1 = black)."""
    return mix(color, BLACK, amount)


def relative_luminance(color: Color) -> float:
    """WCAG relative luminance of ``color``, from 0 (black) to 1 (white)."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in color.clamped())
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: Color, second: Color) -> float:
    """WCAG contrast ratio between two colours, from 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
