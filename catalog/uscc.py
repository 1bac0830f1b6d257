"""The 18-character unified social credit code (统一社会信用代码, GB 32100-2015): check and build."""

from __future__ import annotations

# GB 32100 excludes I, O, S, V and Z to avoid confusion with digits.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class UsccError(ValueError):
    """An unified social credit code that breaks GB 32100; ``rule`` is a stable key for messages."""

    def __init__(self, rule: str, detail: str = ""):
        super().__init__(f"{rule}: {detail}" if detail else rule)
        self.rule = rule
        self.detail = detail


def check_character(first17: str) -> str:
    """Compute the GB 32100 check character for the first 17 characters.

    :param first17: the first 17 characters of the code, upper case.
    :returns: the 18th character.
    :raises UsccError: if the input has the wrong length or characters outside the GB 32100 set.
    """
    if len(first17) != 17:
        raise UsccError("length", f"expected 17 characters, got {len(first17)}")
    total = 0
    for position, (char, weight) in enumerate(zip(first17, _WEIGHTS, strict=True), start=1):
        if char not in _VALUE:
            raise UsccError("charset", f"character {char!r} at position {position}")
        total += _VALUE[char] * weight
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    """Strip blanks and upper-case a code as users type it."""
    return "".join(code.split()).upper()


def validate(code: str) -> str:
    """Validate a unified social credit code and return it normalised.

    :param code: the code as typed.
    :returns: the normalised code.
    :raises UsccError: with ``rule`` one of ``length``, ``charset``, ``check``.
    """
    value = normalise(code)
    if len(value) != 18:
        raise UsccError("length", f"expected 18 characters, got {len(value)}")
    expected = check_character(value[:17])
    if value[17] != expected:
        raise UsccError("check", f"check character should be {expected}, got {value[17]}")
    return value


def is_valid(code: str) -> bool:
    """Tell whether ``code`` is a well-formed unified social credit code."""
    try:
        validate(code)
    except UsccError:
        return False
    return True


def build(division: str, serial: int, *, authority: str = "1", category: str = "1") -> str:
    """Build a well-formed code for a government body (demo data and tests).

    Registration authority ``1`` with category ``1`` is 机构编制 / 机关 in GB 32100. The nine-character
    body is a serial number with its GB 11714 check character, as real organisation codes have.

    :param division: the six-digit administrative division code (GB/T 2260).
    :param serial: a number below 10**8 that makes the organisation code unique.
    :returns: an 18-character code with a correct check character.
    """
    body = f"{serial:08d}"
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    remainder = 11 - sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
    body_check = {10: "X", 11: "0"}.get(remainder, str(remainder))
    first17 = f"{authority}{category}{division}{body}{body_check}"
    return first17 + check_character(first17)
