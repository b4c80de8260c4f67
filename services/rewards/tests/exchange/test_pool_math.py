from smartpay_rewards.exchange import pool_math


def test_constant_product_with_fee_never_decreases_k():
    x, y = 1_000_000, 10 * 10**9
    for dx in (1, 7, 1_000, 250_000, 10**9):
        out = pool_math.amount_out(x, y, dx, 30)
        assert 0 <= out < y
        assert (x + dx) * (y - out) >= x * y


def test_fee_and_price_impact():
    x, y = 1_000_000, 10 * 10**9
    no_fee = pool_math.amount_out(x, y, 1_000, 0)
    with_fee = pool_math.amount_out(x, y, 1_000, 30)
    assert no_fee == y * 1_000 // (x + 1_000) and with_fee < no_fee
    # A bigger trade gets a worse average price.
    assert pool_math.amount_out(x, y, 100_000, 30) / 100_000 < with_fee / 1_000


def test_degenerate_inputs_give_nothing():
    assert pool_math.amount_out(0, 10, 5, 30) == 0
    assert pool_math.amount_out(10, 10, 0, 30) == 0


def test_slippage_boundary():
    assert pool_math.within_slippage(9_900, 10_000, 100)
    assert not pool_math.within_slippage(9_899, 10_000, 100)
