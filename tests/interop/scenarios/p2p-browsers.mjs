// Peer to peer through ams-mini-server's relay with the official SDK on both
// ends: two browser peers join one id (join/joined/start, offer/answer and
// candidates relayed by the server), decode each other, and leave (stop to
// the remaining peer). The server needs no media for this.
import { suite, onCleanup } from '../lib/tap.mjs';
import { Interop } from '../lib/browser.mjs';
import { startMiniServer } from '../lib/procs.mjs';
import { printTimings, describeInbound } from '../lib/scenario.mjs';

const ID = 'interopBrowserP2P';

await suite(async (tap) => {
  const server = await startMiniServer();
  tap.ok(server.port > 0, `ams-mini-server listening on 127.0.0.1:${server.port}`);
  const it = await Interop.start();
  onCleanup(() => it.close());

  const a = await it.p2p({ url: server.url, streamId: ID });
  const joinedA = await it.waitEvent(a, 'joined', 15000);
  tap.ok(joinedA && joinedA.obj && joinedA.obj.streamId === ID, 'first peer gets joined', it.eventsOf(a).slice(-5));
  const b = await it.p2p({ url: server.url, streamId: ID });
  const joinedB = await it.waitEvent(b, 'joined', 15000);
  tap.ok(!!joinedB, 'second peer gets joined');
  const startIn = await it.waitFor((e) => e.event === 'ws_in' && e.command === 'start' && e.streamId === ID, 10000);
  tap.ok(!!startIn, 'the server sends start to the first peer when the second joins');

  const [da, db] = await Promise.all([
    it.waitDecoded(a, { minFrames: 60, timeoutMs: 25000 }),
    it.waitDecoded(b, { minFrames: 60, timeoutMs: 25000 }),
  ]);
  const size = (d) => (d.stats && d.stats.inbound[0]) ? `${d.stats.inbound[0].frameWidth}x${d.stats.inbound[0].frameHeight}` : 'none';
  tap.ok(da.ok && db.ok && size(da) === '640x480' && size(db) === '640x480',
    `both peers decode each other through the server's relay (${describeInbound(da.stats)} / ${describeInbound(db.stats)})`);
  const relayedCands = it.events.filter((e) => e.event === 'ws_in' && e.command === 'takeCandidate' && e.streamId === ID);
  tap.ok(relayedCands.length > 0 && relayedCands.every((e) => Number.isInteger(e.label) && /^127\./.test(e.address)),
    `relayed candidates keep an integer label and stay on loopback (${relayedCands.length})`, relayedCands.slice(0, 3));

  printTimings(tap, 'browser <-> browser through ams-mini-server', [
    ['joined', joinedA?.t, joinedB?.t],
    ['first decoded frame', it.eventsOf(a, 'first_frame_decoded')[0]?.t, it.eventsOf(b, 'first_frame_decoded')[0]?.t],
  ], { columns: ['peer A', 'peer B'], basis: 'ms since each adaptor was created; B starts after A is joined' });

  await it.stop(b);
  const stopA = await it.waitFor((e) => e.event === 'ws_in' && e.command === 'stop' && e.streamId === ID, 5000);
  tap.ok(!!stopA, 'when one peer leaves, the other gets stop');
  const leaved = await it.waitFor((e) => e.session === b && e.event === 'leaved', 5000);
  tap.ok(!!leaved, 'the leaving peer gets leaved');
  await it.stop(a);
});
