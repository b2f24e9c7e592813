from tickhub_gateway.sources.sim.products import PRODUCTS, spec_for


def test_known_products_use_their_spec_and_others_get_a_stable_one():
    assert spec_for("rb2605") is PRODUCTS["rb"]
    assert spec_for("IF2512") is PRODUCTS["IF"]
    assert spec_for("zz9999") == spec_for("zz1234")  # same product, same spec
    assert 1_000 <= spec_for("zz9999").base_price < 9_000
