// A minimal tickhub client in Node.js: snapshot, live ticks, gap fills (docs/zmq.md).
//
//   npm ci                                   # in this folder: zeromq, @msgpack/msgpack
//   node client.mjs rb2605.SHFE au2606.SHFE
//   node client.mjs --pub tcp://10.0.0.5:5555 --recovery tcp://10.0.0.5:5556 --count 100 rb2605.SHFE
//
// One JSON line per tick on stdout; messages for people on stderr. Self-contained on
// purpose: it needs nothing from tickhub, only the wire format of docs/zmq.md.
//
// Time: msgpack timestamps (ext -1) decode to a JS Date, which keeps milliseconds only.
// tickhub stamps ticks to the microsecond, but CTP's own times are whole milliseconds,
// so nothing is lost in practice. Need the microseconds? decodeTimestampToTimeSpec of
// @msgpack/msgpack in an ExtensionCodec gives {sec, nsec}. Ints past 2^53 (received_ns)
// decode as inexact numbers; decode(..., {useBigInt64: true}) gives BigInts instead.
import { parseArgs } from "node:util";
import { decode, encode } from "@msgpack/msgpack";
import { Request, Subscriber } from "zeromq";

const { values: opts, positionals: wanted } = parseArgs({
  allowPositionals: true,
  options: {
    pub: { type: "string", default: "tcp://127.0.0.1:5555" },
    recovery: { type: "string", default: "tcp://127.0.0.1:5556" },
    count: { type: "string", default: "0" }, // 0: run until Ctrl-C
  },
});
const count = Number(opts.count);
if (wanted.length === 0 || !Number.isInteger(count) || count < 0) {
  console.error("usage: node client.mjs [--pub URL] [--recovery URL] [--count N] VT_SYMBOL...");
  process.exit(2);
}
const say = (message) => console.error(`client: ${message}`);

const sub = new Subscriber({ linger: 0 });
let req = recoverySocket(); // one request at a time: REQ sends, then waits for the reply
function recoverySocket() {
  const socket = new Request({ linger: 0, receiveTimeout: 5000 });
  socket.connect(opts.recovery);
  return socket;
}
function stop() {
  sub.close();
  req.close();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

// Subscribe before the snapshot: live ticks wait in the socket meanwhile, and those
// the snapshot already covers are recognised by their seq below.
for (const vtSymbol of wanted) sub.subscribe(vtSymbol); // ZeroMQ matches prefixes...
sub.connect(opts.pub);

let printed = 0;
const last = new Map(); // contract -> {epoch, seq} of the last tick printed

function print(topic, tick, { snapshot = false, filled = false } = {}) {
  const vtSymbol = `${tick.symbol}.${tick.exchange}`; // rb888.SHFE carries rb2605.SHFE
  last.set(vtSymbol, { epoch: tick.epoch, seq: tick.seq });
  const line = {
    vt_symbol: vtSymbol, topic, seq: tick.seq, epoch: tick.epoch, snapshot, filled,
    datetime: tick.datetime.toISOString(), // UTC; China's clock is UTC+8
    last_price: tick.last_price, volume: tick.volume, // last_price null: none sent
    bid_price_1: tick.bid_price_1, ask_price_1: tick.ask_price_1, source: tick.source,
  };
  process.stdout.write(JSON.stringify(line) + "\n");
  if (count && ++printed >= count) stop();
}

// One recovery request: the header, then [topic, tick] pairs (docs/clients.md).
async function ask(request) {
  let header, frames;
  try {
    await req.send(encode(request));
    [header, ...frames] = await req.receive(); // rejects after receiveTimeout
  } catch (error) {
    req.close(); // a REQ socket whose reply never came cannot ask again: a new one
    req = recoverySocket();
    throw error;
  }
  const reply = decode(header);
  const ticks = [];
  for (let i = 0; i < frames.length; i += 2) {
    ticks.push([frames[i].toString(), decode(frames[i + 1])]);
  }
  return [reply, ticks];
}

// The latest tick of each contract (live false), paged by the publisher's max_ticks.
async function snapshot(topics) {
  let startAfter = "";
  let epoch;
  do {
    const [reply, ticks] = await ask({ op: "snapshot", topics, start_after: startAfter });
    if (!reply.ok) throw new Error(`snapshot refused: ${reply.error}`);
    for (const [topic, tick] of ticks) print(topic, tick, { snapshot: true });
    startAfter = reply.more;
    epoch = reply.epoch;
  } while (startAfter);
  // A contract the snapshot does not have had no tick yet in this epoch: a first live
  // tick with seq 5 means 1..4 were missed, and are filled like any other jump.
  for (const topic of topics) {
    if (!topic.includes("888.") && !last.has(topic)) last.set(topic, { epoch, seq: 0 });
  }
}

// The ticks of vtSymbol after `from` and before `until`, from the publisher's ring.
async function fill(vtSymbol, epoch, from, until) {
  say(`${vtSymbol}: missed seq ${from + 1}..${until - 1}; asking the recovery endpoint`);
  try {
    await fillFromRing(vtSymbol, epoch, from, until);
  } catch (error) {
    say(`${vtSymbol}: not filled (${error.message})`); // e.g. no reply within 5 s
  }
}

async function fillFromRing(vtSymbol, epoch, from, until) {
  let seq = from;
  while (seq < until - 1) {
    const [reply, ticks] = await ask({ op: "since", epoch, after: [[vtSymbol, seq]] });
    if (!reply.ok) return say(`${vtSymbol}: not filled: ${reply.error}`);
    if (reply.too_old.length) return say(`${vtSymbol}: not filled: too old for the ring`);
    for (const [topic, tick] of ticks) {
      if (tick.seq >= until) return; // the rest comes live
      print(topic, tick, { filled: true });
      seq = tick.seq;
    }
    if (ticks.length === 0) return say(`${vtSymbol}: not filled: the ring has no more`);
  }
}

async function main() {
  try {
    await snapshot(wanted);
  } catch (error) {
    say(`no snapshot (${error.message}); live ticks only`);
  }
  for await (const [topicFrame, payload] of sub) {
    const topic = topicFrame.toString();
    if (topic.startsWith("#") || !wanted.includes(topic)) continue; // ...so compare exactly
    const tick = decode(payload);
    const vtSymbol = `${tick.symbol}.${tick.exchange}`;
    const seen = last.get(vtSymbol);
    if (seen && seen.epoch !== tick.epoch) {
      // Another publisher run: its seqs start again at 1 and mean nothing next to ours.
      say(`${vtSymbol}: the publisher restarted (epoch ${seen.epoch} -> ${tick.epoch})`);
      if (tick.seq > 1) await fill(vtSymbol, tick.epoch, 0, tick.seq); // from its seq 1
    } else if (seen && tick.seq <= seen.seq) {
      continue; // printed already (by the snapshot, a fill, or an alias's copy)
    } else if (seen && tick.seq > seen.seq + 1) {
      await fill(vtSymbol, tick.epoch, seen.seq, tick.seq); // a jump: ticks we missed
    }
    print(topic, tick);
  }
}

main().catch((error) => {
  say(error.stack ?? String(error));
  process.exit(1);
});
