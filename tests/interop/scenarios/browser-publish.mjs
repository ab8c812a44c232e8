// Scenario 1: the browser publishes its fake camera to ams-mini-server with the
// official SDK, and `amsclient play` decodes the stream.
import { suite, onCleanup } from '../lib/tap.mjs';
import { Interop } from '../lib/browser.mjs';
import { startMiniServer } from '../lib/procs.mjs';
import { runCli, cliFacts, mainStream, printTimings, cliDiag } from '../lib/scenario.mjs';

const STREAM = 'interopBrowserPub';

await suite(async (tap) => {
  const server = await startMiniServer();
  tap.ok(server.port > 0, `ams-mini-server listening on 127.0.0.1:${server.port}`);
  const it = await Interop.start();
  onCleanup(() => it.close());

  const pub = await it.publish({ url: server.url, streamId: STREAM });
  const started = await it.waitEvent(pub, 'publish_started', 20000);
  tap.ok(started && started.obj && started.obj.streamId === STREAM,
    'browser (official SDK) gets publish_started from ams-mini-server', it.eventsOf(pub).filter((e) => e.event !== 'pong').slice(-8));
  const enc = await it.waitEvent(pub, 'first_frame_encoded', 10000);

  const play = runCli('play', { url: server.url, stream: STREAM, frames: 60, duration: 40 });
  const result = await play.exited;
  const facts = cliFacts(play);
  const got = mainStream(facts);
  const sent = ((await it.stats(pub)).outbound || [])[0] || {};
  tap.ok(result.code === 0, `amsclient play exits 0 (status ${result.code ?? result.signal})`, cliDiag(play));
  tap.ok(got.frames >= 60, `amsclient decodes the browser's stream (${got.frames} frames)`, cliDiag(play));
  tap.ok(got.width === sent.frameWidth && got.height === sent.frameHeight && got.width > 0,
    `decoded size ${got.width}x${got.height} = browser's encoded size ${sent.frameWidth}x${sent.frameHeight}`);

  printTimings(tap, 'scenario 1: browser publishes, amsclient plays', [
    ['WebSocket connected / initialized', it.eventsOf(pub, 'initialized')[0]?.t, facts.connected],
    ['publish_started (browser)', started?.t, null],
    ['first frame encoded (browser)', enc?.t, null],
    ['play_started (amsclient)', null, facts.playStarted],
    ['first decoded frame (amsclient)', null, facts.firstFrame],
  ]);
  await it.stop(pub);
});
