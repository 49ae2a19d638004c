"""Fees per 国办函〔2020〕109号 (domain.md R10): marginal tiers, the spec's examples."""
import pytest

from tracker.applications.fees import compute_fee, fee_by_items, fee_by_volume


def test_by_item_example_of_the_spec():
    assert fee_by_items(45) == 20 * 100 + 10 * 200 + 5 * 300 == 5500


@pytest.mark.parametrize("items,fee", [(0, 0), (10, 0), (11, 100), (30, 2000), (31, 2200), (40, 4000),
                                       (41, 4300), (50, 7000), (51, 7400)])
def test_by_item_tiers(items, fee):
    assert fee_by_items(items) == fee


def test_by_item_is_counted_per_month_across_applications():
    # 25 items already this month, 20 more: items 26–45 = 5×100 + 10×200 + 5×300.
    assert fee_by_items(20, already_this_month=25) == 500 + 2000 + 1500
    assert fee_by_items(25) + fee_by_items(20, already_this_month=25) == fee_by_items(45)


def test_by_volume_example_of_the_spec():
    assert fee_by_volume(250) == 70 * 10 + 100 * 20 + 50 * 40 == 4700


@pytest.mark.parametrize("pages,fee", [(0, 0), (30, 0), (31, 10), (100, 700), (101, 720), (200, 2700),
                                       (201, 2740)])
def test_by_volume_tiers(pages, fee):
    assert fee_by_volume(pages) == fee


def test_negative_and_unknown_are_refused():
    with pytest.raises(ValueError):
        fee_by_volume(-1)
    with pytest.raises(ValueError):
        compute_fee("weight", 3)
    assert compute_fee("volume", 250) == 4700 and compute_fee("item", 45) == 5500
