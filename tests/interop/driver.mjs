#!/usr/bin/env node
// Drives the official SDK in headless Chromium from the command line, for
// debugging and for scripts. Prints every browser event as one JSON line on
// stdout, then one summary line {"event":"summary", ...} with the timings
// (ms since the session started) and the video stats from getStats.
//
//   node driver.mjs publish --url ws://127.0.0.1:PORT/WebRTCAppEE/websocket --stream S [--seconds 10]
//   node driver.mjs play    --url URL --stream S [--frames 60] [--seconds 20]
//   node driver.mjs p2p     --url URL --stream S
//   node driver.mjs conference-legacy|conference-multitrack --url URL --room R [--stream S]
//   node driver.mjs connect --url URL [--seconds 7]      (pings and pongs only)
//
// Options: --quiet (summary only), --ask-ice-servers (omit iceServers: [] so
// the SDK sends getIceServerConfig; the page still never uses an ICE server).
// Exit status: 0 when the session reached its goal (publish_started, frames
// decoded, ...), 1 otherwise, 2 on usage errors.
import { parseArgs } from 'node:util';
import { Interop } from './lib/browser.mjs';
import { onCleanup, cleanupAll } from './lib/tap.mjs';

const actions = {
  publish: 'publish', play: 'play', p2p: 'p2p', connect: 'connect',
  'conference-legacy': 'conferenceLegacy', 'conference-multitrack': 'conferenceMultitrack',
};

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string' }, stream: { type: 'string' }, room: { type: 'string' },
      seconds: { type: 'string' }, frames: { type: 'string' }, quiet: { type: 'boolean' },
      'ask-ice-servers': { type: 'boolean' },
    },
  });
} catch (e) {
  process.stderr.write(`driver: ${e.message}\n`);
  process.exit(2);
}
const { values, positionals } = parsed;
const action = positionals[0];
if (!actions[action] || !values.url || (['publish', 'play', 'p2p'].includes(action) && !values.stream)
    || (action.startsWith('conference') && !values.room)) {
  process.stderr.write('usage: driver.mjs publish|play|p2p|connect|conference-legacy|conference-multitrack --url URL [--stream S] [--room R] [--seconds N] [--frames N]\n');
  process.exit(2);
}
const seconds = Number(values.seconds || 20);
const frames = Number(values.frames || 0);

const it = await Interop.start();
onCleanup(() => it.close());
if (!values.quiet) it.on('event', (ev) => process.stdout.write(`${JSON.stringify(ev)}\n`));
const session = await it.call(actions[action], {
  url: values.url, streamId: values.stream, room: values.room, askIceServers: !!values['ask-ice-servers'],
});

const deadline = Date.now() + seconds * 1000;
let reached = false;
while (Date.now() < deadline) {
  const st = await it.stats(session);
  if (frames > 0 && st && st.inbound.length && st.inbound.every((i) => i.framesDecoded >= frames)) { reached = true; break; }
  await new Promise((r) => setTimeout(r, 250));
}
const st = await it.stats(session);
const firsts = (st && st.firsts) || {};
if (!frames) {
  if (action === 'publish' || action === 'conference-multitrack') reached = 'publish_started' in firsts;
  else if (action === 'connect') reached = (st.counts.pong || 0) > 0;
  else reached = (st.inbound || []).some((i) => i.framesDecoded > 0);
}
await it.stop(session);
process.stdout.write(`${JSON.stringify({
  event: 'summary', action, ok: reached, timings: firsts, counts: st && st.counts,
  inbound: st && st.inbound, outbound: st && st.outbound, ice: st && st.ice,
})}\n`);
await cleanupAll();
process.exit(reached ? 0 : 1);
