// Scenario 2: `amsclient publish` sends a test pattern to ams-mini-server and
// the browser plays it with the official SDK and decodes frames.
import { suite, onCleanup } from '../lib/tap.mjs';
import { Interop } from '../lib/browser.mjs';
import { startMiniServer } from '../lib/procs.mjs';
import { runCli, cliFacts, printTimings, cliDiag, describeInbound } from '../lib/scenario.mjs';

const STREAM = 'interopCliPub';

await suite(async (tap) => {
  const server = await startMiniServer();
  tap.ok(server.port > 0, `ams-mini-server listening on 127.0.0.1:${server.port}`);
  const it = await Interop.start();
  onCleanup(() => it.close());

  const pub = runCli('publish', { url: server.url, stream: STREAM, duration: 60,
    extra: ['--width', '640', '--height', '480', '--fps', '30'] });
  const pubStarted = await pub.waitFor((e) => e.event === 'publish_started', 20000);
  tap.ok(!!pubStarted, 'amsclient publish gets publish_started', cliDiag(pub));

  const play = await it.play({ url: server.url, streamId: STREAM });
  const decoded = await it.waitDecoded(play, { minFrames: 60, timeoutMs: 25000 });
  const first = it.eventsOf(play, 'first_frame_decoded')[0];
  const inbound = (decoded.stats && decoded.stats.inbound[0]) || {};
  tap.ok(decoded.ok, `browser decodes amsclient's stream (${describeInbound(decoded.stats)})`,
    it.eventsOf(play).filter((e) => e.event !== 'pong').slice(-8));
  tap.ok(inbound.frameWidth === 640 && inbound.frameHeight === 480,
    `browser's decoded size is amsclient's 640x480 (${inbound.frameWidth}x${inbound.frameHeight})`);
  const errors = it.eventsOf(play, 'error').concat(it.events.filter((e) => e.event === 'page_error'));
  tap.ok(errors.length === 0, 'no SDK error callback and no page error while playing', errors);

  const facts = cliFacts(pub);
  printTimings(tap, 'scenario 2: amsclient publishes, browser plays', [
    ['WebSocket connected / initialized', it.eventsOf(play, 'initialized')[0]?.t, facts.connected],
    ['publish_started (amsclient)', null, facts.publishStarted],
    ['play_started (browser)', it.eventsOf(play, 'play_started')[0]?.t, null],
    ['first decoded frame (browser)', first?.t, null],
  ]);
  await it.stop(play);
  const end = await pub.interrupt();
  tap.ok(end.code === 0, `amsclient publish stops cleanly on SIGINT (status ${end.code ?? end.signal})`, cliDiag(pub));
});
