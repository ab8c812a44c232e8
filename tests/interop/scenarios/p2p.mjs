// Scenario 3: the browser (official SDK, join) and `amsclient p2p` call each
// other through ams-mini-server; both decode the other's video.
import { suite, onCleanup } from '../lib/tap.mjs';
import { Interop } from '../lib/browser.mjs';
import { startMiniServer } from '../lib/procs.mjs';
import { runCli, cliFacts, mainStream, printTimings, cliDiag, describeInbound } from '../lib/scenario.mjs';

const ID = 'interopP2P';

await suite(async (tap) => {
  const server = await startMiniServer();
  tap.ok(server.port > 0, `ams-mini-server listening on 127.0.0.1:${server.port}`);
  const it = await Interop.start();
  onCleanup(() => it.close());

  const peer = await it.p2p({ url: server.url, streamId: ID });
  const joined = await it.waitEvent(peer, 'joined', 15000);
  tap.ok(!!joined, 'browser joins the P2P id (joined)', it.eventsOf(peer).slice(-6));

  // A fixed duration, not --frames: amsclient would end the call as soon as it
  // has its own frames, whatever the browser has decoded by then.
  const cli = runCli('p2p', { url: server.url, stream: ID, duration: 25,
    extra: ['--width', '640', '--height', '480'] });
  const decoded = await it.waitDecoded(peer, { minFrames: 60, timeoutMs: 24000 });
  const inbound = (decoded.stats && decoded.stats.inbound[0]) || {};
  tap.ok(decoded.ok && inbound.frameWidth === 640 && inbound.frameHeight === 480,
    `browser decodes amsclient's video (${describeInbound(decoded.stats)})`);
  const result = await cli.exited;
  const facts = cliFacts(cli);
  const got = mainStream(facts);
  // What the browser was sending while both peers were up (the call may be over now).
  const sent = ((decoded.stats && decoded.stats.outbound) || [])[0] || {};
  tap.ok(result.code === 0 && got.frames >= 60, `amsclient p2p decodes the browser's video (${got.frames} frames, status ${result.code})`, cliDiag(cli));
  tap.ok(got.width > 0 && got.width === sent.frameWidth && got.height === sent.frameHeight,
    `amsclient's decoded size ${got.width}x${got.height} = browser's encoded ${sent.frameWidth}x${sent.frameHeight}`);

  printTimings(tap, 'scenario 3: peer to peer', [
    ['joined', joined?.t, null],
    ['first decoded frame', it.eventsOf(peer, 'first_frame_decoded')[0]?.t, facts.firstFrame],
  ]);
  await it.stop(peer);
});
