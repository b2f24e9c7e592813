// @ts-check
/**
 * A command to a source's GatewayManager over NATS (`tickhub.control.<source>`), as the
 * api and the failover service send them: how a test injects a real fault (stall,
 * disconnect, hang, crash) into a worker. Sent with the project's own Python client
 * and contracts, so the message is exactly what the hub expects.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

const SCRIPT = `
import asyncio, sys
import nats
from tickhub_contracts import codec, subjects
from tickhub_contracts.messages import Command, Reply

async def main() -> None:
    url, source, action, fault = sys.argv[1:5]
    nc = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=0)
    try:
        command = Command(action=action, fault=fault or None, by="e2e")
        msg = await nc.request(subjects.control(source), codec.encode(command), timeout=10)
        reply = codec.decode(msg.data, Reply)
        if not reply.ok:
            sys.exit(f"{action} {fault} refused: {reply.error}")
    finally:
        await nc.close()

asyncio.run(main())
`;

/**
 * Ask `source`'s manager for `action` (e.g. "fault" with fault "stall"); resolves when
 * it replied ok, rejects with its refusal otherwise.
 * @param {string} natsUrl
 * @param {string} source
 * @param {string} action
 * @param {string} [fault]
 */
export async function command(natsUrl, source, action, fault = "") {
  const python = path.join(REPO, ".venv", "bin", "python");
  await run(python, ["-c", SCRIPT, natsUrl, source, action, fault], { timeout: 30_000 });
}

/** The hub's NATS, as the runner hands it to each test file. */
export function natsUrl() {
  const url = process.env.TICKHUB_E2E_NATS_URL;
  if (!url) throw new Error("TICKHUB_E2E_NATS_URL unset: run the suite with `npm test` (run.mjs)");
  return url;
}
