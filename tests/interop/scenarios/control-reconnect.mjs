// Scenario 5, reconnection part: the browser publishes with the official SDK;
// after ams-mini-server restarts on the same port, the SDK's own reconnection
// publishes again and `amsclient play` decodes the stream.
import { suite, onCleanup } from '../lib/tap.mjs';
import { Interop } from '../lib/browser.mjs';
import { startMiniServer } from '../lib/procs.mjs';
import { runCli, cliFacts, mainStream, printTimings, cliDiag, sleep } from '../lib/scenario.mjs';

await suite(async (tap) => {
  let server = await startMiniServer();
  tap.ok(server.port > 0, `ams-mini-server listening on 127.0.0.1:${server.port}`);
  const it = await Interop.start();
  onCleanup(() => it.close());

  // publish, restart the server on the same port, let the SDK reconnect by itself
  const STREAM = 'interopReconnect';
  const pub = await it.publish({ url: server.url, streamId: STREAM });
  const first = await it.waitEvent(pub, 'publish_started', 20000);
  tap.ok(!!first, 'browser publishes (publish_started)');
  const port = server.port;
  await server.stop();
  const stoppedAt = Date.now();
  const closed = await it.waitEvent(pub, 'closed', 10000);
  tap.ok(!!closed, 'the SDK sees its WebSocket closed when the server stops');
  await sleep(1000);
  server = await startMiniServer({ port });
  const restartedAt = Date.now();
  const again = await it.waitEvent(pub, 'publish_started', 30000, (e) => e.t > first.t);
  const attempts = it.eventsOf(pub, 'reconnection_attempt_for_publisher').length;
  const publishes = it.events.filter((e) => e.event === 'ws_out' && e.command === 'publish').length;
  tap.ok(!!again, `after the restart the SDK's own reconnection publishes again (${attempts} attempts, `
    + `${again ? Date.now() - restartedAt : '-'} ms after restart)`, it.eventsOf(pub).filter((e) => e.event !== 'pong').slice(-10));
  tap.note(`publish commands sent by the SDK in total: ${publishes}`);

  const cli = runCli('play', { url: server.url, stream: STREAM, frames: 60, duration: 40 });
  const result = await cli.exited;
  const facts = cliFacts(cli);
  const got = mainStream(facts);
  tap.ok(result.code === 0 && got.frames >= 60,
    `amsclient plays the re-published stream (${got.frames} frames, ${got.width}x${got.height}, status ${result.code})`, cliDiag(cli));

  printTimings(tap, 'scenario 5: reconnection after a server restart', [
    ['publish_started (first)', first?.t, null],
    ['server down -> publish_started again', again ? again.wall - stoppedAt : null, null],
    ['first decoded frame (amsclient play)', null, facts.firstFrame],
  ]);
  await it.stop(pub);
});
