"""Points are exact decimals (0.5 is common), shown without trailing zeros: 32.5, 10, 0.25."""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def to_points(value) -> Decimal:
    """A number of points rounded to hundredths; ValueError when ``value`` is not a number."""
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"not a number: {value!r}") from None
    if not d.is_finite():
        raise ValueError(f"not a number: {value!r}")
    return d.quantize(CENT, rounding=ROUND_HALF_UP)


def points_text(value) -> str:
    """32.50 → "32.5", 10.00 → "10", None → ""."""
    if value is None:
        return ""
    d = Decimal(str(value)).quantize(CENT).normalize()
    return format(d, "f")
