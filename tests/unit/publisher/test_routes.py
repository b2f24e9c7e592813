from tickhub_publisher.bridge import parse_tick_subject


def test_a_tick_subject_parses_into_source_and_contract() -> None:
    route = parse_tick_subject("tickhub.tick.sim-a.SHFE.rb2605")
    assert route is not None
    assert (route.source, route.exchange, route.symbol) == ("sim-a", "SHFE", "rb2605")
    assert route.vt_symbol == "rb2605.SHFE"
    assert route.topic == b"rb2605.SHFE"


def test_anything_else_under_tick_is_foreign() -> None:
    for subject in (
        "tickhub.tick.sim-a",
        "tickhub.tick.sim-a.SHFE",
        "tickhub.tick.sim-a.SHFE.rb2605.extra",
        "tickhub.status.sim-a.SHFE.rb2605",
        "other.tick.sim-a.SHFE.rb2605",
    ):
        assert parse_tick_subject(subject) is None, subject
