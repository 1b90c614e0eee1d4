"""Parsing and ordering of ``MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`` strings."""

from __future__ import annotations

from dataclasses import dataclass, field


class InvalidVersion(ValueError):
    """The text is not a semantic version."""


@dataclass(frozen=True, order=False)
class Version:
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: str = field(default="", compare=False)

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + self.build
        return text

    def sort_key(self) -> tuple:
        """Key that orders versions by semver precedence (build metadata ignored)."""
        # A release sorts after all of its pre-releases.
        if not self.prerelease:
            pre_key: tuple = ((1,),)
        else:
            pre_key = tuple(
                (0, int(part), "") if part.isdigit() else (1, 0, part)
                for part in self.prerelease
            )
            pre_key = ((0,),) + pre_key
        return (self.major, self.minor, self.patch, pre_key)

    def __lt__(self, other: Version) -> bool:
        return self.sort_key() < other.sort_key()


def parse_version(text: str) -> Version:
    """Parse a version such as ``"1.4.0"``, ``"v2.0.0-rc.1"`` or ``"1.0.0-beta+exp.sha.5114f85"``.

    A leading ``v`` is accepted.  The pre-release part is everything after the
    first hyphen, and may itself contain hyphens (``"1.0.0-x-y-z.1"``).
    """
    cleaned = text.strip()
    if cleaned[:1] in ("v", "V"):
        cleaned = cleaned[1:]
    cleaned, _, build = cleaned.partition("+")
    if "-" in cleaned:
        core, prerelease_text = cleaned.split("-")
        prerelease = tuple(prerelease_text.split("."))
        if not all(prerelease):
            raise InvalidVersion(f"empty pre-release identifier in {text!r}")
    else:
        core, prerelease = cleaned, ()
    numbers = core.split(".")
    if len(numbers) != 3 or not all(n.isdigit() for n in numbers):
        raise InvalidVersion(f"not a semantic version: {text!r}")
    major, minor, patch = (int(n) for n in numbers)
    return Version(major, minor, patch, prerelease, build)


def bump(version: Version, part: str) -> Version:
    """Next version after ``version`` for a ``"major"``, ``"minor"`` or ``"patch"`` change.

    Bumping resets the lower parts and drops pre-release and build labels.
    """
    if part == "major":
        return Version(version.major + 1, 0, 0)
    if part == "minor":
        return Version(version.major, version.minor + 1, 0)
    if part == "patch":
        return Version(version.major, version.minor, version.patch + 1)
    raise ValueError(f"unknown part {part!r}; expected major, minor or patch")


def sort_versions(texts: list[str]) -> list[str]:
    """``texts`` sorted from lowest to highest precedence."""
    return sorted(texts, key=lambda text: parse_version(text).sort_key())
