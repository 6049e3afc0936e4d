// The independent side of Stage's MessagePack interop tests: @msgpack/msgpack under node.
// The C# tests run `node interop.mjs MODE` and exchange bytes with it over stdin/stdout.
//
//   roundtrip          stdin: one MessagePack value -> decode -> encode -> stdout
//   describe           stdin: one MessagePack value -> stdout: JSON (bin as {"bin": base64},
//                      int64 as {"int": "decimal"}, non-finite floats as {"float": "NaN"|"Infinity"|"-Infinity"})
//   messages           stdout: frames (4-byte big-endian length + payload) of messages built here
//   client SOCKET      connects to the engine's socket, sends Hello and a GenerateRequest, prints
//                      "sent" and waits to be killed
import { decode, encode } from "@msgpack/msgpack";
import net from "node:net";

const options = { useBigInt64: true };

function readStdin() {
  const chunks = [];
  return new Promise((resolve) => {
    process.stdin.on("data", (c) => chunks.push(c));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks)));
  });
}

function describe(value) {
  if (value instanceof Uint8Array) return { bin: Buffer.from(value).toString("base64") };
  if (typeof value === "bigint") return { int: value.toString() };
  if (typeof value === "number" && !Number.isFinite(value)) return { float: String(value) };
  if (Array.isArray(value)) return value.map(describe);
  if (value !== null && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = describe(v);
    return out;
  }
  return value;
}

function frame(message) {
  const payload = encode(message, options);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length);
  return Buffer.concat([header, Buffer.from(payload)]);
}

// Deterministic test audio: channel c of frame i is sin(0.01 i + c) / 2.
function audio(frames, channels, sampleRate) {
  const samples = new Float32Array(frames * channels);
  for (let i = 0; i < frames; i++)
    for (let c = 0; c < channels; c++) samples[i * channels + c] = Math.sin(0.01 * i + c) / 2;
  // Float32Array bytes are little-endian on every machine node runs on here.
  return { sampleRate, channels, samples: new Uint8Array(samples.buffer) };
}

function generateRequest(requestId, frames) {
  // Keys deliberately not in the C# writer's order, "type" last, plus one the engine does not know.
  return {
    requestId,
    instrument: "bass",
    context: audio(frames, 2, 48000),
    tempoBpm: 123.5,
    timeSignature: [7, 8],
    lengthBars: 4,
    contextMode: "both",
    clickOffsetSeconds: 0.25,
    prompt: "warm fretless bass, ünïcödé ♪",
    temperature: 0.9,
    topK: 200,
    guidance: 3,
    seed: 42,
    variations: 2,
    outputSampleRate: 44100,
    outputChannels: 1,
    writeWav: false,
    wavDirectory: null,
    fromTheFuture: { nested: [1, 2, 3] },
    type: "generate",
  };
}

const mode = process.argv[2];
if (mode === "roundtrip") {
  const input = await readStdin();
  process.stdout.write(Buffer.from(encode(decode(input, options), options)));
} else if (mode === "describe") {
  const input = await readStdin();
  process.stdout.write(JSON.stringify(describe(decode(input, options))));
} else if (mode === "messages") {
  process.stdout.write(Buffer.concat([
    frame({ type: "hello", protocolVersion: 2, clientName: "node interop", clientVersion: "3.1.3" }),
    frame(generateRequest(7, 4800)),
    frame({ type: "cancel", requestId: 7 }),
    frame({ type: "ping", token: 9007199254740993n }),
  ]));
} else if (mode === "client") {
  const socket = net.createConnection(process.argv[3], () => {
    socket.write(frame({ type: "hello", protocolVersion: 2, clientName: "node client", clientVersion: "1" }));
    socket.write(frame(generateRequest(1, 48000)), () => console.log("sent"));
  });
  socket.on("data", () => {});
  socket.on("error", (e) => { console.error(e.message); process.exit(1); });
} else {
  console.error(`unknown mode '${mode}'`);
  process.exit(2);
}
