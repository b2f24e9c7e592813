"""compose.yaml and the Dockerfile, checked without a Docker engine: every command
runs real code, every TICKHUB_* variable is a real setting with a valid value, and
every image installs its own service."""

from __future__ import annotations

import importlib.util
import json
import re
import tomllib
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from tickhub_cli import main, up
from tickhub_runtime.settings import Settings

ROOT = Path(__file__).parents[3]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]


DOCKERFILE = (ROOT / "Dockerfile").read_text()


class Stage(NamedTuple):
    base: str
    name: str | None
    instructions: list[str]
    """Each instruction on one line (continuations joined), comments left out."""


def _stages(dockerfile: str) -> tuple[list[str], list[Stage]]:
    """(the instructions before the first FROM, every stage)."""
    joined = re.sub(r"\\\n(\s*#[^\n]*\n)*", " ", dockerfile)  # continuation lines
    lines = [" ".join(line.split()) for line in joined.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    head: list[str] = []
    stages: list[Stage] = []
    for line in lines:
        match = re.match(r"FROM (\S+)(?: AS (\S+))?$", line, re.I)
        if match:
            stages.append(Stage(match.group(1), match.group(2), []))
        elif stages:
            stages[-1].instructions.append(line)
        else:
            head.append(line)
    return head, stages


def _image(service: str) -> list[Stage]:
    """The stages the image of ``service`` is made of, the last one first, with the
    build argument SERVICE substituted (docker build --build-arg SERVICE=<service>)."""
    _, stages = _stages(DOCKERFILE.replace("$SERVICE", service))
    named = {stage.name: stage for stage in stages if stage.name}
    chain = [stages[-1]]
    while chain[-1].base in named:
        chain.append(named[chain[-1].base])
    return chain


def _dockerfile(service: str) -> str:
    """Every instruction the image of ``service`` is built by: its own stages' and
    those of the stages it copies from."""
    image = _image(service)
    sources = {
        stage.name: stage
        for stage in _stages(DOCKERFILE.replace("$SERVICE", service))[1]
        if stage.name
    }
    used = list(image)
    for stage in image:
        for line in stage.instructions:
            copied = re.match(r"COPY --from=(\S+)", line)
            if copied and copied.group(1) in sources:
                used.append(sources[copied.group(1)])
    return "\n".join(
        f"FROM {stage.base}" + "".join(f"\n{line}" for line in stage.instructions)
        for stage in reversed(used)
    )


def _env(service: str) -> dict[str, str]:
    environment = SERVICES[service].get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {key: str(value) for key, value in environment.items()}


def test_compose_runs_nats_postgres_prestart_frontend_and_every_service() -> None:
    assert set(SERVICES) == {"nats", "postgres", "prestart", "frontend", *up.SERVICES}


def _interpolated(value: str) -> str:
    """What compose makes of ``${VAR:?message}`` when .env sets VAR."""
    return re.sub(r"\$\{(\w+)(?::?[?-][^}]*)?\}", "from-dot-env", value)


def test_postgres_keeps_its_data_on_a_volume_and_reports_ready() -> None:
    postgres = SERVICES["postgres"]
    assert postgres["image"].startswith("postgres:")
    data = next(v for v in postgres["volumes"] if v.endswith(":/var/lib/postgresql/data"))
    assert data.split(":")[0] in COMPOSE["volumes"]
    assert "pg_isready" in postgres["healthcheck"]["test"]
    # The password comes from .env at run time, required, never a literal in the file.
    assert postgres["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_prestart_migrates_before_the_api_and_the_gateway_start() -> None:
    prestart = SERVICES["prestart"]
    assert prestart["command"] == ["python", "-m", "tickhub_api", "prestart", "--no-demo"]
    assert importlib.util.find_spec("tickhub_api.prestart") is not None
    assert prestart["depends_on"]["postgres"]["condition"] == "service_healthy"
    for service in ("api", "gateway"):
        needs = SERVICES[service]["depends_on"]
        assert needs["prestart"]["condition"] == "service_completed_successfully", service
        assert needs["postgres"]["condition"] == "service_healthy", service


@pytest.mark.parametrize("service", ["api", "gateway", "prestart"])
def test_secrets_come_as_files_or_from_dot_env_never_as_literals(service: str) -> None:
    env = _env(service)
    assert "${POSTGRES_PASSWORD:?" in env["TICKHUB_DATABASE_URL"]
    assert env["TICKHUB_SECRET_KEY_FILE"] == "/run/secrets/tickhub_secret_key"
    assert "tickhub_secret_key" in SERVICES[service]["secrets"]
    assert "TICKHUB_SECRET_KEY" not in env and "TICKHUB_API_TOKEN" not in env
    for name in SERVICES[service]["secrets"]:
        assert COMPOSE["secrets"][name]["file"].startswith("./secrets/")
    gitignore = (ROOT / ".gitignore").read_text().split()
    assert "secrets/" in gitignore and ".env" in gitignore


def test_the_api_reads_its_token_from_a_secret_file() -> None:
    assert _env("api")["TICKHUB_API_TOKEN_FILE"] == "/run/secrets/tickhub_api_token"
    assert "tickhub_api_token" in SERVICES["api"]["secrets"]


def test_nats_has_jetstream_on_a_volume() -> None:
    nats = SERVICES["nats"]
    assert nats["image"].startswith("nats:")
    command = nats["command"]
    assert "-js" in command
    store = command[command.index("-sd") + 1]
    assert any(volume.split(":")[1] == store for volume in nats["volumes"])
    assert store and nats["volumes"][0].split(":")[0] in COMPOSE["volumes"]


def _runs(command: list[str]) -> str:
    """The service a container command runs, after checking the code for it exists."""
    if command[:2] == ["python", "-m"]:
        module = command[2]
        assert importlib.util.find_spec(f"{module}.__main__") is not None, module
        return module.removeprefix("tickhub_")
    assert command[0] == "tickhub", command
    args = main.build_parser().parse_args(command[1:])
    assert args.handler is main._service
    return str(args.command)


@pytest.mark.parametrize("service", up.SERVICES)
def test_each_service_command_runs_that_service(service: str) -> None:
    spec = SERVICES[service]
    assert _runs(spec["command"]) == service
    assert spec["restart"] in {"always", "unless-stopped", "on-failure"}
    assert "nats" in spec["depends_on"]


@pytest.mark.parametrize("service", up.SERVICES)
def test_each_tickhub_variable_is_a_setting_with_a_valid_value(service: str) -> None:
    env = _env(service)
    assert env["TICKHUB_NATS_URL"] == "nats://nats:4222"
    values: dict[str, Any] = {}
    for key, value in env.items():
        assert key.startswith("TICKHUB_"), key
        field = key.removeprefix("TICKHUB_").lower()
        assert field in Settings.model_fields, f"{service}: {key} is not a Settings field"
        values[field] = _interpolated(value)
    Settings(_env_file=None, **values)  # raises on a value the setting rejects


def test_the_publisher_binds_all_interfaces_on_the_published_port() -> None:
    publisher = SERVICES["publisher"]
    assert _env("publisher")["TICKHUB_ZMQ_PUB"] == "tcp://0.0.0.0:5555"
    assert "5555:5555" in publisher["ports"]
    assert _env("publisher")["TICKHUB_ZMQ_RECOVERY"] == "tcp://0.0.0.0:5556"
    assert "5556:5556" in publisher["ports"]


def test_the_api_listens_on_all_interfaces_on_the_published_port() -> None:
    env = _env("api")
    assert (env["TICKHUB_API_HOST"], env["TICKHUB_API_PORT"]) == ("0.0.0.0", "8000")
    assert "8000:8000" in SERVICES["api"]["ports"]


def test_the_gateway_keeps_its_data_dir_on_a_volume() -> None:
    data_dir = _env("gateway")["TICKHUB_DATA_DIR"]
    volumes = {v.split(":")[1]: v.split(":")[0] for v in SERVICES["gateway"]["volumes"]}
    assert volumes[data_dir] in COMPOSE["volumes"]


def _cmd(service: str) -> list[str]:
    """The image's command: the last CMD along its stages."""
    for stage in _image(service):
        for line in reversed(stage.instructions):
            if line.startswith("CMD "):
                command: list[str] = json.loads(line.removeprefix("CMD "))
                return command
    raise AssertionError(f"the image of {service} has no CMD")


LOCKED = {p["name"] for p in tomllib.loads((ROOT / "uv.lock").read_text())["package"]}


def test_there_is_one_dockerfile_and_its_argument_names_the_service() -> None:
    head, stages = _stages(DOCKERFILE)
    assert head == ["ARG SERVICE"]  # no default: an image of no service is an error
    services = {stage.name.removeprefix("service-") for stage in stages if stage.name}
    assert services >= set(up.SERVICES)
    assert stages[-1].base == "service-$SERVICE"


@pytest.mark.parametrize("service", up.SERVICES)
def test_each_image_installs_and_runs_its_own_service(service: str) -> None:
    spec = SERVICES[service]
    assert spec["build"]["context"] == "."
    assert spec["build"]["dockerfile"] == "Dockerfile"
    assert spec["build"]["args"] == {"SERVICE": service}
    dockerfile = _dockerfile(service)
    syncs = re.findall(r"uv sync ([^\n]*)", dockerfile)
    assert len(syncs) == 1
    flags = syncs[0].split()
    assert {"--frozen", "--no-dev", "--no-editable"} <= set(flags)
    package = flags[flags.index("--package") + 1].strip('"')
    assert package == f"tickhub-{service}" and package in LOCKED
    stages = re.findall(r"^FROM (\S+)", dockerfile, re.M)
    images = {stage.name for stage in _stages(DOCKERFILE)[1] if stage.name}
    assert stages and all(image in {"python:3.11-slim", *images} for image in stages)
    assert re.search(r"pip install .*\buv\b", dockerfile)  # uv from PyPI
    assert "curl" not in dockerfile
    assert _runs(_cmd(service)) == service
    assert _cmd(service) == spec["command"]
    exposed = {
        port
        for line in dockerfile.splitlines()
        if line.startswith("EXPOSE ")
        for port in line.split()[1:]
    }
    published = {mapping.rsplit(":", 1)[1] for mapping in spec.get("ports", [])}
    assert exposed == published, service


def _has(service: str, step: str) -> bool:
    """Whether the image of ``service`` has ``step``: in one of its stages, and not in
    an ``if [ "$SERVICE" = ... ]`` that this service's argument makes false."""
    for line in _dockerfile(service).splitlines():
        if step not in line:
            continue
        guard = re.match(r'RUN (?:--\S+ )*if \[ "([\w-]+)" = ([\w-]+) \]; then', line)
        if guard is None or guard.group(1) == guard.group(2):
            return True
    return False


def _gateway_only(step: str) -> bool:
    return all(_has(service, step) == (service == "gateway") for service in up.SERVICES)


def test_the_gateway_builds_in_one_stage_and_runs_in_another() -> None:
    _, stages = _stages(DOCKERFILE.replace("$SERVICE", "gateway"))
    build = next(stage for stage in stages if stage.name == "build")
    assert any("build-essential" in line for line in build.instructions)  # compiler
    for stage in _image("gateway"):  # the image itself: no compiler
        assert not any("build-essential" in line for line in stage.instructions)
    assert "COPY --from=build /app/.venv /app/.venv" in _image("gateway")[0].instructions
    assert _gateway_only("build-essential")
    assert _gateway_only("zh_CN.GB18030") and _gateway_only("locales")


def test_the_gateway_image_builds_the_stand_in_ctp_library() -> None:
    """What `make setup` builds (the Makefile's STANDIN), built into the installed
    package: a `local` account loads it to talk to `tickhub ctp-front`."""
    assert _gateway_only("python -m tickhub_gateway.localctp.standin.build")
    assert importlib.util.find_spec("tickhub_gateway.localctp.standin.build") is not None
    makefile = (ROOT / "Makefile").read_text()
    assert "python -m tickhub_gateway.localctp.standin.build" in makefile
    # Never a library built on the developer's machine: the image builds its own.
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert "services/gateway/src/tickhub_gateway/localctp/lib" in ignored


def test_the_build_context_leaves_out_local_state() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".tickhub", ".env"} <= ignored


# --- the dashboard ---------------------------------------------------------------------


def _frontend_script() -> str:
    command = SERVICES["frontend"]["command"]
    assert command[:2] == ["sh", "-euc"], command  # any failing step fails the one-shot
    script: str = command[2]
    return script


def test_the_frontend_one_shot_builds_the_export_with_node_20_into_a_volume() -> None:
    frontend = SERVICES["frontend"]
    assert frontend["image"].startswith("node:20")
    assert frontend["restart"] == "no"
    steps = [line.strip() for line in _frontend_script().splitlines() if line.strip()]
    ci = steps.index("npm ci --no-audit --no-fund")
    build = steps.index("npm run build")
    publish = next(i for i, step in enumerate(steps) if "out/." in step and "/dashboard" in step)
    assert ci < build < publish
    volumes = dict(v.split(":", 1) for v in frontend["volumes"])
    # The sources read-only, built in a copy that leaves the host's node_modules out.
    assert volumes["./frontend"] == "/src:ro"
    assert "--exclude=./node_modules" in steps[0] and frontend["working_dir"] != "/src"
    assert volumes["dashboard"] == "/dashboard" and "dashboard" in COMPOSE["volumes"]


def test_the_frontend_builds_what_make_setup_builds() -> None:
    package = json.loads((ROOT / "frontend" / "package.json").read_text())
    assert package["scripts"]["build"].startswith("next build")
    assert (ROOT / "frontend" / "package-lock.json").exists()  # what npm ci installs
    config = (ROOT / "frontend" / "next.config.ts").read_text()
    assert re.search(r"output:\s*[\"']export[\"']", config)  # `next build` writes out/


def test_the_api_serves_the_export_from_the_volume_once_it_is_built() -> None:
    api = SERVICES["api"]
    assert api["depends_on"]["frontend"]["condition"] == "service_completed_successfully"
    directory = _env("api")["TICKHUB_DASHBOARD_DIR"]
    assert f"dashboard:{directory}:ro" in api["volumes"]
    assert Settings(_env_file=None, dashboard_dir=directory).dashboard_dir == Path(directory)
    # Same origin: the dashboard comes from the api's own port, no port of its own.
    assert "ports" not in SERVICES["frontend"]
