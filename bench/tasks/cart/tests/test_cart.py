import pytest

from cartcalc import LineItem, Receipt, checkout, format_cents, marked_down, multibuy_price, parse_price, percent_of, subtotal


def test_parse_and_format_prices():
    assert parse_price("$12.99") == 1299
    assert parse_price("1,050") == 105000
    assert parse_price("0.125") == 13
    assert format_cents(123450) == "$1,234.50"
    assert format_cents(-300) == "-$3.00"


def test_bad_prices_are_rejected():
    with pytest.raises(ValueError):
        parse_price("twelve")
    with pytest.raises(ValueError):
        parse_price("-1.00")


def test_percent_rounds_halves_up():
    assert percent_of(1225, 10) == 123
    assert percent_of(1000, 8.25) == 83


def test_three_for_two():
    assert multibuy_price(LineItem("soap", 250, 7), buy=3, pay=2) == 1250
    with pytest.raises(ValueError):
        multibuy_price(LineItem("soap", 250, 1), buy=2, pay=3)


def test_clearance_markdown():
    assert marked_down(LineItem("vase", 1999, 1), 30) == 1399
    assert marked_down(LineItem("cup", 75, 3), 50) == 112


def test_subtotal_with_offers():
    cart = [LineItem("tea", 450, 2), LineItem("mug", 800), LineItem("biscuits", 199, 4)]
    assert subtotal(cart) == 2496
    assert subtotal(cart, offers={"biscuits": (2, 1)}) == 2098


def test_checkout_without_half_cents():
    receipt = checkout([LineItem("lamp", 4000)], coupon_percent=25, tax_percent=10)
    assert receipt == Receipt(subtotal=4000, discount=1000, tax=300, total=3300)


def test_checkout_discount_half_cent_rounds_up():
    receipt = checkout([LineItem("book", 1225)], coupon_percent=10)
    assert receipt.discount == 123
    assert receipt.total == 1102


def test_checkout_tax_half_cent_rounds_up():
    receipt = checkout([LineItem("pen", 150, 3)], tax_percent=5)
    assert receipt.tax == 23
    assert receipt.total == 473
