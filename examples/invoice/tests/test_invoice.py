from invoicing import Invoice, format_cents


def make_invoice(discount_percent=0, tax_percent=0):
    invoice = Invoice(discount_percent=discount_percent, tax_percent=tax_percent)
    invoice.add("keyboard", 4500, quantity=2)
    invoice.add("cable", 1000)
    return invoice


def test_subtotal_adds_quantities():
    assert make_invoice().subtotal_cents() == 10000


def test_no_discount_keeps_subtotal():
    assert make_invoice().discounted_cents() == 10000


def test_discount_lowers_the_amount():
    assert make_invoice(discount_percent=15).discounted_cents() == 8500


def test_total_applies_discount_then_tax():
    invoice = make_invoice(discount_percent=10, tax_percent=20)
    assert (invoice.discounted_cents(), invoice.tax_cents(), invoice.total_cents()) == (9000, 1800, 10800)


def test_format_cents():
    assert format_cents(123456) == "1234.56 EUR"
    assert format_cents(-5, "USD") == "-0.05 USD"
