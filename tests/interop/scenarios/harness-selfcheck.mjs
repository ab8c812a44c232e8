// Checks the harness itself against lib/stub-server.mjs (no amsclient code
// involved): Chromium starts with the issue's flags, the official SDK loads as
// an ES module, its wire messages are the ones the mini-server must handle,
// two browser peers exchange media over loopback only, and Chromium holds no
// socket to a non-loopback peer.
import { suite, onCleanup } from '../lib/tap.mjs';
import { Interop } from '../lib/browser.mjs';
import { startStubServer } from '../lib/stub-server.mjs';
import { descendantPids, cmdlineOf, socketsOf, hostOf, isLoopbackHost, isWildcardHost } from '../lib/procs.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const keysOf = (o) => Object.keys(o || {}).sort().join(',');

await suite(async (tap) => {
  const stub = await startStubServer();
  onCleanup(() => stub.close());
  const it = await Interop.start();
  onCleanup(() => it.close());

  // --- launch flags, read back from the running browser process
  const browserProc = descendantPids().map((pid) => ({ pid, argv: cmdlineOf(pid) }))
    .find((p) => p.argv.length && /chromium$/.test(p.argv[0]) && !p.argv.some((a) => a.startsWith('--type=')));
  const argv = browserProc ? browserProc.argv : [];
  const disable = argv.filter((a) => a.startsWith('--disable-features='));
  const features = disable.length ? disable[0].slice('--disable-features='.length).split(',') : [];
  tap.ok(!!browserProc, 'Chromium browser process found below the driver', argv);
  tap.ok(disable.length === 1 && features.includes('WebRtcHideLocalIpsWithMdns') && features.length >= 5,
    'one --disable-features switch, with WebRtcHideLocalIpsWithMdns merged into playwright\'s list', disable);
  const required = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic',
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required'];
  const missing = required.filter((f) => !argv.includes(f));
  tap.ok(missing.length === 0 && argv.some((a) => a.startsWith('--host-resolver-rules=MAP * ~NOTFOUND')),
    'Chromium runs with the loopback/fake-media flags and host-resolver-rules', { missing });

  tap.ok(await it.sdkLoaded(), '@antmedia/webrtc_adaptor loaded as an ES module from dist/es');

  // --- a bare connection that lets the SDK ask for ICE servers: pings every 3 s
  const conn = await it.connect({ url: stub.url, askIceServers: true });
  await it.waitEvent(conn, 'initialized', 10000);
  await sleep(7500);
  const connConn = stub.connections[stub.connections.length - 1];
  const connMsgs = stub.received.filter((r) => r.conn === connConn.conn).map((r) => r.msg);
  tap.ok(/[?&]target=edge(&|$)/.test(connConn.url), 'play-mode SDK appends ?target=edge to the URL', connConn.url);
  const iceReq = connMsgs.find((m) => m.command === 'getIceServerConfig');
  tap.ok(iceReq && keysOf(iceReq) === 'command', 'getIceServerConfig is sent with no streamId', iceReq);
  const pings = connMsgs.filter((m) => m.command === 'ping');
  const pongs = it.eventsOf(conn, 'pong').length;
  const pingTimes = stub.received.filter((r) => r.conn === connConn.conn && r.msg.command === 'ping').map((r) => r.t);
  const gaps = pingTimes.slice(1).map((t, i) => t - pingTimes[i]);
  tap.ok(pings.length >= 2 && pongs >= 2 && gaps.every((g) => g > 2000 && g < 4500),
    `SDK pings every 3 s and reports each pong (${pings.length} pings, ${pongs} pong callbacks)`, { gaps });
  await it.stop(conn);

  // --- publish: the exact message, then the offer and trickled candidates
  const before = stub.connections.length;
  const pub = await it.publish({ url: stub.url, streamId: 'selfcheckPub' });
  const started = await it.waitEvent(pub, 'initialized', 10000);
  await it.waitFor(() => stub.received.some((r) => r.msg && r.msg.command === 'takeCandidate' && r.msg.streamId === 'selfcheckPub'), 10000);
  await sleep(500);
  const pubConn = stub.connections[before];
  const pubMsgs = stub.received.filter((r) => pubConn && r.conn === pubConn.conn).map((r) => r.msg);
  tap.ok(started && pubConn && /[?&]target=origin(&|$)/.test(pubConn.url), 'publishing SDK appends ?target=origin', pubConn && pubConn.url);
  const publishMsg = pubMsgs.find((m) => m.command === 'publish');
  tap.ok(publishMsg && keysOf(publishMsg) === 'audio,command,mainTrack,metaData,role,streamId,streamName,subscriberCode,subscriberId,token,video'
    && publishMsg.video === true && publishMsg.audio === true,
  'publish carries exactly the fields of official-sdks.md §6.3', publishMsg);
  tap.ok(!pubMsgs.some((m) => m.command === 'getIceServerConfig'),
    'with peerconnection_config.iceServers = [] the SDK never asks for ICE servers');
  const offer = pubMsgs.find((m) => m.command === 'takeConfiguration');
  const mlines = offer ? (offer.sdp.match(/^m=\w+/mg) || []) : [];
  tap.ok(offer && offer.type === 'offer' && mlines.join(' ') === 'm=audio m=video m=application',
    'after start the SDK offers audio, video and a data channel', { type: offer && offer.type, mlines });
  const cands = pubMsgs.filter((m) => m.command === 'takeCandidate' && m.candidate);
  const badCands = cands.filter((m) => !Number.isInteger(m.label) || typeof m.id !== 'string'
    || !isLoopbackHost(m.candidate.split(' ')[4] || ''));
  const sdpCands = offer ? (offer.sdp.match(/^a=candidate:.*$/mg) || []) : [];
  tap.ok(cands.length > 0 && badCands.length === 0 && sdpCands.every((l) => isLoopbackHost(l.split(' ')[4])),
    `trickled candidates: integer label, string id, 127.0.0.0/8 only (${cands.length} sent)`, badCands.slice(0, 3));
  await it.stop(pub);

  // --- play of a stream that does not exist
  const beforePlay = stub.connections.length;
  const play = await it.play({ url: stub.url, streamId: 'selfcheckMissing' });
  const nse = await it.waitEvent(play, 'error', 10000, (e) => e.error === 'no_stream_exist');
  const playMsg = stub.received.find((r) => stub.connections[beforePlay] && r.conn === stub.connections[beforePlay].conn
    && r.msg && r.msg.command === 'play');
  tap.ok(playMsg && keysOf(playMsg.msg) === 'command,role,room,streamId,subscriberCode,subscriberId,token,trackList,userPublishId,viewerInfo',
    'play carries exactly the fields of official-sdks.md §6.3', playMsg && playMsg.msg);
  tap.ok(nse && nse.obj && nse.obj.streamId === 'selfcheckMissing',
    `play of a missing stream reaches callbackError as no_stream_exist (after ${nse ? nse.t : '-'} ms)`, nse);
  await it.stop(play);

  // --- two browser peers through the stub's P2P relay: real media over loopback
  const a = await it.p2p({ url: stub.url, streamId: 'selfcheckP2P' });
  await it.waitEvent(a, 'joined', 10000);
  const b = await it.p2p({ url: stub.url, streamId: 'selfcheckP2P' });
  const [da, db] = await Promise.all([
    it.waitDecoded(a, { minFrames: 30, timeoutMs: 25000 }),
    it.waitDecoded(b, { minFrames: 30, timeoutMs: 25000 }),
  ]);
  const dims = (d) => (d.stats && d.stats.inbound[0]) ? `${d.stats.inbound[0].frameWidth}x${d.stats.inbound[0].frameHeight}` : 'none';
  tap.ok(da.ok && db.ok && dims(da) === '640x480' && dims(db) === '640x480',
    `browser peers decode each other over the stub relay (${dims(da)}, ${dims(db)})`,
    { a: da.stats && da.stats.inbound, b: db.stats && db.stats.inbound });
  const ta = await it.timings(a);
  const tb = await it.timings(b);
  tap.note(`timings ${JSON.stringify({ peerA: { joined: ta.firsts.joined, first_frame_decoded: ta.firsts.first_frame_decoded },
    peerB: { joined: tb.firsts.joined, first_frame_decoded: tb.firsts.first_frame_decoded } })}`);

  // --- nothing leaves loopback: what the peers exchanged, and the sockets Chromium holds now
  const relayed = stub.received.filter((r) => r.msg && r.msg.command === 'takeCandidate' && r.msg.streamId === 'selfcheckP2P' && r.msg.candidate);
  const ice = await it.iceCounters();
  tap.ok(relayed.length > 0 && relayed.every((r) => isLoopbackHost(r.msg.candidate.split(' ')[4])) && ice.remoteDropped === 0,
    `every candidate the peers exchanged is on 127.0.0.0/8 (${relayed.length} relayed, ${ice.localDropped} non-loopback gathered and withheld)`, ice);
  const pids = descendantPids();
  const socks = socketsOf(pids);
  const offending = (socks || []).filter((s) => {
    const peer = hostOf(s.peer);
    return !isWildcardHost(peer) && !isLoopbackHost(peer);
  });
  tap.ok(socks !== null && offending.length === 0,
    `Chromium has no socket with a non-loopback peer (${socks ? socks.length : 0} sockets checked)`, offending);
  tap.note(`sockets: ${JSON.stringify((socks || []).map((s) => `${s.proto} ${s.local} -> ${s.peer}`))}`);

  await it.stop(a);
  await it.stop(b);
  const leaveSeen = await it.waitFor((e) => e.event === 'ws_out' && e.command === 'leave', 3000);
  tap.ok(!!leaveSeen, 'stopping a P2P session sends leave');
});
