// The official SDK on both sides of ams-mini-server's media relay: one browser
// session publishes its fake camera, another plays it and decodes frames at the
// publisher's size (a browser publisher brings Chromium's RTP header
// extensions, simulcast-free VP8 and its own payload types to the relay).
import { suite, onCleanup } from '../lib/tap.mjs';
import { Interop } from '../lib/browser.mjs';
import { startMiniServer } from '../lib/procs.mjs';
import { printTimings, describeInbound } from '../lib/scenario.mjs';

const STREAM = 'interopRelay';

await suite(async (tap) => {
  const server = await startMiniServer();
  tap.ok(server.port > 0, `ams-mini-server listening on 127.0.0.1:${server.port}`);
  const it = await Interop.start();
  onCleanup(() => it.close());

  const pub = await it.publish({ url: server.url, streamId: STREAM });
  const started = await it.waitEvent(pub, 'publish_started', 20000);
  tap.ok(!!started, 'publishing browser gets publish_started', it.eventsOf(pub).filter((e) => e.event !== 'pong').slice(-6));

  const play = await it.play({ url: server.url, streamId: STREAM });
  const decoded = await it.waitDecoded(play, { minFrames: 60, timeoutMs: 25000 });
  const inbound = (decoded.stats && decoded.stats.inbound[0]) || {};
  const sent = ((await it.stats(pub)).outbound || [])[0] || {};
  tap.ok(decoded.ok, `playing browser decodes the relayed stream (${describeInbound(decoded.stats)})`,
    it.eventsOf(play).filter((e) => e.event !== 'pong').slice(-6));
  tap.ok(inbound.frameWidth > 0 && inbound.frameWidth === sent.frameWidth && inbound.frameHeight === sent.frameHeight,
    `decoded size ${inbound.frameWidth}x${inbound.frameHeight} = published size ${sent.frameWidth}x${sent.frameHeight}`);
  const playStarted = await it.waitEvent(play, 'play_started', 1000);
  tap.ok(!!playStarted, 'playing browser gets play_started');

  printTimings(tap, 'browser -> ams-mini-server relay -> browser', [
    ['publish_started', started?.t, null],
    ['play_started', null, playStarted?.t],
    ['first decoded frame', null, it.eventsOf(play, 'first_frame_decoded')[0]?.t],
  ], { columns: ['publisher', 'player'], basis: 'ms since each adaptor was created' });

  await it.stop(play);
  await it.stop(pub);
});
