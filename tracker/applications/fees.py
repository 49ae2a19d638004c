"""Information-processing fees (信息处理费), Art. 42 and 国办函〔2020〕109号 (domain.md R10).

Two methods, one per application, each charged in marginal tiers (like income tax brackets):

* by item (按件), counted per applicant per calendar month: items 1–10 free, 11–30 at 100 元,
  then each further block of 10 items costs 100 元 more per item (31–40: 200, 41–50: 300, …).
* by volume (按量), per application: pages 1–30 free, 31–100 at 10 元, 101–200 at 20 元,
  201 and up at 40 元.

Amounts are whole yuan (int).
"""
METHODS = {"item": "按件计收", "volume": "按量计收"}
# Bounds on what staff may type: far beyond any real notice, and the amount fits the column.
MAX_QUANTITY = 10_000
MAX_AMOUNT = 2_000_000_000


def item_price(n: int) -> int:
    """The price of the n-th item an applicant asks for in a calendar month."""
    if n <= 10:
        return 0
    if n <= 30:
        return 100
    return 100 * (1 + (n - 31) // 10 + 1)


def fee_by_items(count: int, already_this_month: int = 0) -> int:
    """按件: the fee for ``count`` more items from an applicant who already asked for
    ``already_this_month`` items in the same calendar month (the month's count goes on).

    45 items in one month: 20×100 + 10×200 + 5×300 = 5,500 元.
    """
    if count < 0 or already_this_month < 0:
        raise ValueError("counts must not be negative")
    return sum(item_price(n) for n in range(already_this_month + 1, already_this_month + count + 1))


VOLUME_TIERS = [(30, 0), (100, 10), (200, 20), (None, 40)]  # (last page of the tier, price per page)


def fee_by_volume(pages: int) -> int:
    """按量: the fee for one application of ``pages`` pages.

    250 pages: 70×10 + 100×20 + 50×40 = 4,700 元.
    """
    if pages < 0:
        raise ValueError("pages must not be negative")
    total, lower = 0, 0
    for upper, price in VOLUME_TIERS:
        top = pages if upper is None else min(pages, upper)
        if top > lower:
            total += (top - lower) * price
        if upper is None or pages <= upper:
            break
        lower = upper
    return total


def compute_fee(method: str, quantity: int, already_this_month: int = 0) -> int:
    if method == "item":
        return fee_by_items(quantity, already_this_month)
    if method == "volume":
        return fee_by_volume(quantity)
    raise ValueError(f"unknown fee method {method}")
