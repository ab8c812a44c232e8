// Scenario 5, signalling part: with the official SDK against ams-mini-server,
// play of a missing stream gets no_stream_exist, every ping gets a pong, and
// getIceServerConfig (sent without a streamId) is answered.
import { suite, onCleanup } from '../lib/tap.mjs';
import { Interop } from '../lib/browser.mjs';
import { startMiniServer } from '../lib/procs.mjs';
import { sleep } from '../lib/scenario.mjs';

await suite(async (tap) => {
  const server = await startMiniServer();
  tap.ok(server.port > 0, `ams-mini-server listening on 127.0.0.1:${server.port}`);
  const it = await Interop.start();
  onCleanup(() => it.close());

  // play of a stream nobody publishes
  const play = await it.play({ url: server.url, streamId: 'interopNobody' });
  const nse = await it.waitEvent(play, 'error', 10000, (e) => e.error === 'no_stream_exist');
  tap.ok(nse && nse.obj && nse.obj.streamId === 'interopNobody' && String(nse.obj.error_code) === '404',
    `play of a missing stream: callbackError no_stream_exist with streamId and error_code 404 (${nse ? nse.t : '-'} ms)`,
    it.eventsOf(play).slice(-5));
  const playOut = it.events.find((e) => e.event === 'ws_out' && e.command === 'play' && e.streamId === 'interopNobody');
  const playIn = playOut && it.events.find((e) => e.event === 'ws_in' && e.sock === playOut.sock && e.definition === 'no_stream_exist');
  tap.note(`play -> no_stream_exist round trip on the wire: ${playIn ? (playIn.t - playOut.t).toFixed(1) : '-'} ms`);
  await it.stop(play);

  // pings and pongs; getIceServerConfig without streamId must not upset the server
  const mark = it.events.length;
  const conn = await it.connect({ url: server.url, askIceServers: true });
  await it.waitEvent(conn, 'initialized', 10000);
  await sleep(7500);
  const sock = it.events.slice(mark).find((e) => e.event === 'ws_open_requested');
  const pings = it.events.filter((e) => e.event === 'ws_out' && e.command === 'ping' && sock && e.sock === sock.sock);
  const pongs = it.eventsOf(conn, 'pong');
  tap.ok(pings.length >= 2 && pongs.length >= pings.length - 1,
    `every SDK ping gets a pong (${pings.length} pings, ${pongs.length} pongs)`);
  const rtts = pings.map((p) => {
    const pong = it.events.find((e) => e.event === 'ws_in' && e.sock === p.sock && e.command === 'pong' && e.t >= p.t);
    return pong ? +(pong.t - p.t).toFixed(1) : null;
  });
  tap.note(`ping -> pong round trips on the wire (ms): ${JSON.stringify(rtts)}`);
  const iceReply = it.events.find((e) => e.event === 'ws_in' && e.command === 'iceServerConfig');
  const connErrors = it.eventsOf(conn, 'error');
  tap.ok(!!iceReply && connErrors.length === 0, 'getIceServerConfig (no streamId) is answered with iceServerConfig', connErrors);
  await it.stop(conn);

});
