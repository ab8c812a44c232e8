// Scenario 5: control and errors with the official SDK against ams-mini-server:
// play of a missing stream gets no_stream_exist, pings get pongs, and after the
// server restarts the SDK's own reconnection publishes again and
// `amsclient play` decodes the stream.
import { suite, onCleanup } from '../lib/tap.mjs';
import { Interop } from '../lib/browser.mjs';
import { startMiniServer } from '../lib/procs.mjs';
import { runCli, cliFacts, mainStream, printTimings, cliDiag, sleep } from '../lib/scenario.mjs';

await suite(async (tap) => {
  let server = await startMiniServer();
  tap.ok(server.port > 0, `ams-mini-server listening on 127.0.0.1:${server.port}`);
  const it = await Interop.start();
  onCleanup(() => it.close());

  // play of a stream nobody publishes
  const play = await it.play({ url: server.url, streamId: 'interopNobody' });
  const nse = await it.waitEvent(play, 'error', 10000, (e) => e.error === 'no_stream_exist');
  tap.ok(nse && nse.obj && nse.obj.streamId === 'interopNobody' && String(nse.obj.error_code) === '404',
    `play of a missing stream: callbackError no_stream_exist with streamId and error_code 404 (${nse ? nse.t : '-'} ms)`,
    it.eventsOf(play).slice(-5));
  await it.stop(play);

  // pings and pongs; getIceServerConfig without streamId must not upset the server
  const mark = it.events.length;
  const conn = await it.connect({ url: server.url, askIceServers: true });
  await it.waitEvent(conn, 'initialized', 10000);
  await sleep(6800);
  const sock = it.events.slice(mark).find((e) => e.event === 'ws_open_requested');
  const pings = it.events.filter((e) => e.event === 'ws_out' && e.command === 'ping' && sock && e.sock === sock.sock);
  const pongs = it.eventsOf(conn, 'pong');
  tap.ok(pings.length >= 2 && pongs.length >= pings.length - 1,
    `every SDK ping gets a pong (${pings.length} pings, ${pongs.length} pongs)`);
  const iceReply = it.events.find((e) => e.event === 'ws_in' && e.command === 'iceServerConfig');
  const connErrors = it.eventsOf(conn, 'error');
  tap.ok(!!iceReply && connErrors.length === 0, 'getIceServerConfig (no streamId) is answered with iceServerConfig', connErrors);
  await it.stop(conn);

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
