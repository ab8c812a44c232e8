// Conference rooms with the official SDK only: three browser participants in
// one room, with the multitrack flow (publish with mainTrack = room, play the
// room; tracks named through idMapping) and with the legacy joinRoom flow
// (joinedTheRoom, one play per stream, getRoomInfo polling). Everyone must
// decode the two others.
import { suite, onCleanup } from '../lib/tap.mjs';
import { Interop } from '../lib/browser.mjs';
import { startMiniServer } from '../lib/procs.mjs';
import { printTimings, describeInbound } from '../lib/scenario.mjs';

const MIN_FRAMES = 30;

async function round(tap, it, server, flow) {
  const room = `browsers${flow}`;
  const ids = ['A', 'B', 'C'].map((x) => `${room}${x}`);
  const sessions = [];
  for (const id of ids) {
    const s = flow === 'Legacy'
      ? await it.conferenceLegacy({ url: server.url, room, streamId: id, roomPollMs: 1000 })
      : await it.conferenceMultitrack({ url: server.url, room, streamId: id });
    sessions.push(s);
    await it.waitEvent(s, 'publish_started', 20000);
  }
  const results = await Promise.all(sessions.map((s) => it.waitDecoded(s, { minFrames: MIN_FRAMES, count: 2, timeoutMs: 40000 })));
  results.forEach((r, i) => {
    const others = ids.filter((_, j) => j !== i);
    const names = ((r.stats && r.stats.inbound) || []).filter((x) => x.framesDecoded >= MIN_FRAMES).map((x) => `${x.pc} ${x.track || ''}`).join(' ');
    tap.ok(r.ok && others.every((o) => names.includes(o)),
      `${flow}: ${ids[i]} decodes ${others.join(' and ')} (${describeInbound(r.stats)})`,
      it.eventsOf(sessions[i]).filter((e) => !['pong'].includes(e.event)).slice(-8));
  });
  const pageErrors = it.events.filter((e) => e.event === 'page_error');
  tap.ok(pageErrors.length === 0, `${flow}: no page error (idMapping present in every player offer)`, pageErrors);
  printTimings(tap, `conference of three browsers (${flow})`, sessions.map((s, i) => [
    `${ids[i]}: publish_started / first frame`,
    it.eventsOf(s, 'publish_started')[0]?.t, it.eventsOf(s, 'first_frame_decoded')[0]?.t,
  ]), { columns: ['published', 'decoded'], basis: 'ms since each adaptor was created; participants join one after another' });
  for (const s of sessions) await it.stop(s);
}

await suite(async (tap) => {
  const server = await startMiniServer();
  tap.ok(server.port > 0, `ams-mini-server listening on 127.0.0.1:${server.port}`);
  const it = await Interop.start();
  onCleanup(() => it.close());
  await round(tap, it, server, 'Multitrack');
  await round(tap, it, server, 'Legacy');
});
