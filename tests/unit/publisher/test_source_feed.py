from tickhub_publisher.bridge import SourceFeed


def test_a_feed_holds_its_source_and_contract_and_its_topic_frame() -> None:
    feed = SourceFeed("sim-a", "SHFE", "rb2605")
    assert (feed.source, feed.exchange, feed.symbol) == ("sim-a", "SHFE", "rb2605")
    assert feed.vt_symbol == "rb2605.SHFE"
    assert feed.topic == b"rb2605.SHFE"
    assert not feed.eligible and feed.held is None  # nothing routed, nothing held yet
