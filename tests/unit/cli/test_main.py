import datetime as dt

import pytest

from tickhub_cli import control, main, up
from tickhub_contracts.messages import GatewayStatus, Reply

parse = main.build_parser().parse_args


def test_every_service_has_its_own_command() -> None:
    for service in up.SERVICES:
        args = parse([service, "--nats-url", "nats://bus:4222"])
        assert args.handler is main._service
        assert args.nats_url == "nats://bus:4222"


def test_up_takes_a_nats_url() -> None:
    args = parse(["up", "--nats-url", "nats://bus:4222"])
    assert (args.handler, args.nats_url) == (main._up, "nats://bus:4222")


def test_fault_takes_a_source_and_a_known_kind() -> None:
    args = parse(["fault", "sim-a", "stall"])
    assert (args.source, args.kind, args.handler) == ("sim-a", "stall", main._operate)


@pytest.mark.parametrize(
    "argv",
    [
        ["fault", "sim-a", "explode"],
        ["restart", "a.b"],
        ["start", "sim>"],
        ["stop"],
        ["nosuch"],
        [],
    ],
)
def test_bad_usage_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse(argv)
    assert exit_.value.code == 2
    assert "tickhub" in capsys.readouterr().err


def test_tail_takes_any_number_of_symbols() -> None:
    assert parse(["tail"]).symbols == []
    assert parse(["tail", "rb2605.SHFE", "m2605.DCE"]).symbols == ["rb2605.SHFE", "m2605.DCE"]


def test_an_invalid_setting_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TICKHUB_API_PORT", "eighty")
    assert main.main(["status"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tickhub: invalid setting TICKHUB_API_PORT: ")
    assert err.count("\n") == 1


def test_commands_carry_their_fault_only_with_the_fault_action() -> None:
    assert control.make_command("fault", "hang").fault == "hang"
    assert control.make_command("restart").action == "restart"
    with pytest.raises(ValueError):
        control.make_command("restart", "hang")
    with pytest.raises(ValueError):
        control.make_command("fault")
    with pytest.raises(ValueError):
        control.make_command("reboot")


NOW = dt.datetime(2026, 11, 24, 1, 0, 5, tzinfo=dt.UTC)


def _status(**values: object) -> GatewayStatus:
    base: dict[str, object] = dict(
        source="sim-a", gateway_type="sim", priority=1, state="running", at=NOW
    )
    base.update(values)
    return GatewayStatus(**base)  # type: ignore[arg-type]


def test_the_status_table_aligns_and_shows_ages_and_exchange_times() -> None:
    statuses = [
        _status(
            pid=101,
            connection="connected",
            ticks_total=12,
            last_tick_at=dt.datetime(2026, 11, 24, 1, 0, 4, 500_000, tzinfo=dt.UTC),
            last_heartbeat_at=NOW - dt.timedelta(seconds=0.4),
        ),
        _status(
            source="ctp-main",
            gateway_type="ctp",
            priority=2,
            state="stopped",
            manual_stop=True,
            reason_code=4097,
            reason="stopped by operator",
        ),
    ]
    lines = control.table(statuses, now=NOW).splitlines()
    assert lines[0].split()[:4] == ["SOURCE", "TYPE", "PRIO", "STATE"]
    first, second = lines[1], lines[2]
    assert first.split()[:5] == ["sim-a", "sim", "1", "running", "connected"]
    assert "09:00:04.500" in first  # exchange time, UTC+8
    assert "0.4s ago" in first
    assert "stopped (manual)" in second and "disconnected [4097]" in second
    assert second.endswith("stopped by operator")
    # Columns line up: every row starts its second column at the same offset.
    assert len({line.index(line.split()[1], len(line.split()[0])) for line in lines}) == 1


def test_the_json_output_decodes_back_to_statuses() -> None:
    import msgspec

    statuses = [_status(pid=7)]
    assert msgspec.json.decode(control.to_json(statuses), type=list[GatewayStatus]) == statuses


def test_a_command_summary_names_the_state_after_it() -> None:
    reply = Reply(ok=True, status=_status(pid=55, connection="connecting"))
    assert control.summary("sim-a", "restart", reply) == (
        "sim-a: restart ok (running, pid 55, connecting)"
    )
