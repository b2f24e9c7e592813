"""The manager–worker protocol: what the GatewayManager (:mod:`.manager`) and a worker
process (:mod:`.worker`) both read, so neither imports the other.

A worker is ``python -m`` :data:`WORKER_MODULE`, started in its own directory. Its
:class:`SourceConfig` travels on stdin (it carries passwords, so it never travels in
argv or the environment): :func:`encode_config` on the manager's side,
:func:`read_config` on the worker's. The rest comes from ``TICKHUB_*`` settings in its
environment, :data:`WORKER_SETTINGS` only, and :data:`PARENT_PID_ENV`. Its exit code
tells a bad configuration (:data:`BAD_CONFIG_EXIT_CODE`) and the ``crash`` fault
(:data:`CRASH_EXIT_CODE`) apart from any other end.
"""

from __future__ import annotations

from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import SourceConfig

WORKER_MODULE = "tickhub_gateway.worker"

PARENT_PID_ENV = "TICKHUB_MANAGER_PID"
"""The manager's pid, so a worker whose manager died before prctl took hold can tell."""

BAD_CONFIG_EXIT_CODE = 2

CRASH_EXIT_CODE = 70
"""Exit status of the ``crash`` fault (EX_SOFTWARE), so a report can tell it apart."""

# The settings a worker uses. An allow-list, not the whole Settings: TICKHUB_SOURCES
# (and whatever later holds a password) must not reach a worker's environment, where
# every process of the user could read it.
WORKER_SETTINGS = (
    "nats_url",
    "data_dir",
    "log_level",
    "heartbeat_interval_s",
    "stale_tick_s",
    "command_timeout_s",
    "holidays",
)


def encode_config(config: SourceConfig) -> bytes:
    """The config as the worker reads it from stdin."""
    return codec.encode(config)


def read_config(data: bytes) -> SourceConfig:
    """Parse and check the config from stdin; ValueError says what is wrong."""
    try:
        config = codec.decode(data, SourceConfig)
    except codec.DecodeError as error:
        raise ValueError(f"bad source config on stdin: {error}") from None
    subjects.token(config.name, "source name")
    for vt_symbol in config.all_symbols():
        subjects.split_vt_symbol(vt_symbol)
    return config
