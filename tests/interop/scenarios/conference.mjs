// Scenario 4: a conference room with the browser (official SDK) and two
// `amsclient conference` participants; everyone must decode everyone. Run
// twice: the browser uses the legacy joinRoom flow (conference-deprecated.html)
// and then the multitrack flow (publish with mainTrack = room, play the room).
// amsclient takes part with the same flow (--mode legacy|multitrack).
import { suite, onCleanup } from '../lib/tap.mjs';
import { Interop } from '../lib/browser.mjs';
import { startMiniServer } from '../lib/procs.mjs';
import { runCli, cliFacts, printTimings, cliDiag, describeInbound, sleep } from '../lib/scenario.mjs';

const MIN_FRAMES = 30;

function cliDecodedStreams(handle) {
  return [...cliFacts(handle).streams.entries()].filter(([, s]) => s.frames >= MIN_FRAMES);
}

async function round(tap, it, server, flow) {
  const room = `room${flow}`;
  const ids = [`cli${flow}A`, `cli${flow}B`];
  const browserId = `browser${flow}`;
  // --frames: each participant reports frames-reached per other participant.
  const clis = ids.map((id) => runCli('conference', { url: server.url, room, stream: id, duration: 90, name: id,
    frames: MIN_FRAMES, extra: ['--mode', flow.toLowerCase(), '--width', '640', '--height', '480'] }));
  await Promise.all(clis.map((c) => c.waitFor((e) => e.event === 'publish_started', 20000)));

  const session = flow === 'Legacy'
    ? await it.conferenceLegacy({ url: server.url, room, streamId: browserId, roomPollMs: 1000 })
    : await it.conferenceMultitrack({ url: server.url, room, streamId: browserId });
  const decoded = await it.waitDecoded(session, { minFrames: MIN_FRAMES, count: 2, timeoutMs: 40000 });
  const names = ((decoded.stats && decoded.stats.inbound) || []).filter((i) => i.framesDecoded >= MIN_FRAMES)
    .map((i) => `${i.pc} ${i.track || ''}`).join(' ');
  tap.ok(decoded.ok && ids.every((id) => names.includes(id)),
    `${flow}: the browser decodes both amsclient participants (${describeInbound(decoded.stats)})`,
    it.eventsOf(session).filter((e) => !['pong', 'ws_in', 'ws_out'].includes(e.event)).slice(-10));

  // Each amsclient participant must decode the other one and the browser.
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline && !clis.every((c) => cliDecodedStreams(c).length >= 2)) await sleep(500);
  clis.forEach((c, i) => {
    const got = cliDecodedStreams(c).map(([k, s]) => `${k}:${s.width}x${s.height}:${s.frames}`);
    const others = [ids[1 - i], browserId];
    tap.ok(got.length >= 2 && others.every((o) => got.some((g) => g.includes(o))),
      `${flow}: ${ids[i]} decodes ${others.join(' and ')} (${got.join(' ') || 'nothing'})`, cliDiag(c));
  });

  // onTrack reads idMapping[streamId][mid]: an offer without idMapping throws in the page.
  const pageErrors = it.events.filter((e) => e.event === 'page_error');
  const tracks = it.eventsOf(session, 'newTrackAvailable').filter((e) => e.trackKind === 'video');
  tap.ok(tracks.length >= 2 && pageErrors.length === 0,
    `${flow}: the SDK announces the remote video tracks (${tracks.map((e) => e.trackId || e.streamId).join(', ') || 'none'}) with no page error`,
    pageErrors);

  const firsts = it.eventsOf(session, 'first_frame_decoded');
  const facts = clis.map((c) => cliFacts(c));
  printTimings(tap, `scenario 4 (${flow}): conference`, [
    ['publish_started', it.eventsOf(session, 'publish_started')[0]?.t, facts[0].publishStarted],
    ['first decoded frame (first remote)', firsts[0]?.t, facts[0].firstFrame],
    ['first decoded frame (second remote)', firsts[1]?.t, facts[1].firstFrame],
  ]);

  await it.stop(session);
  const ends = await Promise.all(clis.map((c) => c.interrupt()));
  tap.ok(ends.every((e) => e.code === 0), `${flow}: amsclient participants leave cleanly on SIGINT`, ends);
}

await suite(async (tap) => {
  const server = await startMiniServer();
  tap.ok(server.port > 0, `ams-mini-server listening on 127.0.0.1:${server.port}`);
  const it = await Interop.start();
  onCleanup(() => it.close());
  await round(tap, it, server, 'Legacy');
  await round(tap, it, server, 'Multitrack');
});
