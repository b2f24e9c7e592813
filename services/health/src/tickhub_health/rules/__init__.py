"""The rule families of the health machine, one module each: pure.

Each is a mixin of :class:`~tickhub_health.machine.SourceMachine` over
:class:`~tickhub_health.state.SourceState` that answers with an
:class:`~tickhub_health.state.Assessment` (or None: the rule does not apply); the
machine asks them in the order its docstring numbers.

* :mod:`.process`: the process and its heartbeat (stopped, exited, heartbeat lost);
* :mod:`.connection`: a beating worker's connection and login;
* :mod:`.canary`: the canary's ticks and its market's session;
* :mod:`.lag`: the ticks' lag behind a peer's copies;
* :mod:`.grace`: the startup grace of a process not yet proven.
"""
