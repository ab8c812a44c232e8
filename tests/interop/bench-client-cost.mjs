// The Chromium row of the client-cost benchmark (tests/bench/run-bench.sh,
// section "client"): one page running the official JavaScript SDK plays (or
// publishes) a 640x480 30 fps VP8 stream on ams-mini-server for the same
// seconds as the amsclient rows, and the browser's whole process tree is
// sampled from /proc: CPU of every process over the window, and the sum of the
// processes' RSS (peak over the run, sampled) and PSS (at the window's end).
//
//   node tests/interop/bench-client-cost.mjs play|publish [--seconds N] [--setup-seconds N]
//
// Prints one JSON line per row on stdout (what report.py reads):
//   {"row":"chromium-play","window_s":..,"cpu_pct":..,"peak_rss_kb":..,"rss_kb":..,
//    "pss_kb":..,"processes":..,"fps_decoded":..}
// or {"row":"chromium-play","na":"reason"} when it cannot be measured.
// The playwright driver (node) is the harness and is not counted; neither are
// ams-mini-server and the amsclient publisher that feeds the play row.
// Network: as every interop scenario, loopback only (lib/browser.mjs).
import fs from 'node:fs';
import { chromiumArgs, Interop } from './lib/browser.mjs';
import { startMiniServer, startCli, descendantPids, cmdlineOf } from './lib/procs.mjs';
import { cliArgs } from './lib/scenario.mjs';
import { cleanupAll } from './lib/tap.mjs';

const mode = process.argv[2];
const argOf = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : dflt;
};
const seconds = argOf('--seconds', 10);
const setupSeconds = argOf('--setup-seconds', 60);
const row = `chromium-${mode}`;
const STREAM = `benchCost${mode === 'publish' ? 'Browser' : 'Cli'}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const hz = 100; // USER_HZ on Linux (/proc/PID/stat ticks)

function out(obj) { process.stdout.write(`${JSON.stringify({ row, ...obj })}\n`); }

// Chromium's processes: every descendant of this node process whose program
// is Chromium (browser, zygotes, renderer, GPU, utility, crashpad).
function browserPids(exclude) {
  return descendantPids().filter((pid) => !exclude.has(pid) && /chrom/.test(cmdlineOf(pid)[0] || ''));
}
function readTicks(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime
  } catch (e) { return null; }
}
function statusKb(pid, key) {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch (e) { return 0; }
}
function pssKb(pid) {
  try {
    const m = /^Pss:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch (e) { return 0; }
}

async function main() {
  if (mode !== 'play' && mode !== 'publish') {
    process.stderr.write('usage: bench-client-cost.mjs play|publish [--seconds N] [--setup-seconds N]\n');
    return 2;
  }
  const chromium = process.env.AMS_CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(chromium)) { out({ na: `no browser: ${chromium} is not installed` }); return 0; }

  const server = await startMiniServer();
  const exclude = new Set([server.pid]);
  let publisher = null;
  if (mode === 'play') {
    // The stream the browser plays: amsclient publishing the same media as the
    // amsclient rows (VP8 640x480 30 fps, no audio).
    publisher = startCli(cliArgs('publish', {
      url: server.url, stream: STREAM, duration: seconds + setupSeconds + 30,
      extra: ['--no-audio', '--codec', 'vp8', '--width', '640', '--height', '480', '--fps', '30'],
    }), { name: 'amsclient publish' });
    exclude.add(publisher.pid);
    if (!(await publisher.waitFor((e) => e.event === 'publish_started', setupSeconds * 1000))) {
      out({ na: `amsclient publish got no publish_started: ${publisher.stderr.slice(-2).join(' | ')}` });
      return 0;
    }
  } else {
    // The fake camera at the amsclient rows' frame rate (its default is 20 fps).
    const i = chromiumArgs.indexOf('--use-fake-device-for-media-stream');
    if (i >= 0) chromiumArgs[i] = '--use-fake-device-for-media-stream=fps=30';
  }

  // Peak of the summed RSS, sampled from the browser's launch on.
  let peakRss = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      let sum = 0;
      for (const pid of browserPids(exclude)) sum += statusKb(pid, 'VmRSS');
      peakRss = Math.max(peakRss, sum);
      await sleep(200);
    }
  })();

  let it = null;
  try {
    it = await Interop.start();
    let session;
    let frames;
    if (mode === 'play') {
      session = await it.play({ url: server.url, streamId: STREAM });
      frames = (st) => ((st && st.inbound[0]) || {}).framesDecoded || 0;
    } else {
      session = await it.publish({
        url: server.url, streamId: STREAM,
        mediaConstraints: { video: { width: 640, height: 480, frameRate: 30 }, audio: false },
      });
      frames = (st) => ((st && st.outbound[0]) || {}).framesEncoded || 0;
    }
    const deadline = Date.now() + setupSeconds * 1000;
    while (frames(await it.stats(session)) === 0 && Date.now() < deadline) await sleep(200);
    if (frames(await it.stats(session)) === 0) {
      out({ na: `no ${mode === 'play' ? 'decoded' : 'encoded'} frame in the browser within ${setupSeconds} s` });
      return 0;
    }
    await sleep(1000); // as the amsclient rows: one second after the first frame

    const pids0 = browserPids(exclude);
    const ticks0 = new Map(pids0.map((p) => [p, readTicks(p)]));
    const st0 = await it.stats(session);
    const t0 = process.hrtime.bigint();
    await sleep(seconds * 1000);
    const st1 = await it.stats(session);
    const t1 = process.hrtime.bigint();
    const pids1 = browserPids(exclude);
    let ticks = 0;
    let rss = 0;
    let pss = 0;
    for (const pid of pids1) {
      const t = readTicks(pid);
      if (t === null) continue;
      // a process born in the window counts from zero
      ticks += t - (ticks0.get(pid) ?? 0);
      rss += statusKb(pid, 'VmRSS');
      pss += pssKb(pid);
    }
    const window = Number(t1 - t0) / 1e9;
    const rec = {
      window_s: window, cpu_pct: (100 * ticks) / hz / window, peak_rss_kb: Math.max(peakRss, rss),
      rss_kb: rss, pss_kb: pss, processes: pids1.length,
      processes_gone: pids0.filter((p) => !pids1.includes(p)).length,
    };
    const fps = (frames(st1) - frames(st0)) / window;
    if (mode === 'play') rec.fps_decoded = fps; else rec.fps_sent = fps;
    const inb = (st1 && st1.inbound[0]) || {};
    const outb = (st1 && st1.outbound[0]) || {};
    const size = mode === 'play' ? inb : outb;
    rec.size = `${size.frameWidth || 0}x${size.frameHeight || 0}`;
    const bytes = mode === 'play'
      ? (inb.bytesReceived || 0) - (((st0 && st0.inbound[0]) || {}).bytesReceived || 0)
      : (outb.bytesSent || 0) - (((st0 && st0.outbound[0]) || {}).bytesSent || 0);
    rec.kbps = (bytes * 8) / 1000 / window;
    out(rec);
    await it.stop(session);
  } finally {
    sampling = false;
    await sampler;
    if (it) await it.close();
    if (publisher) await publisher.interrupt();
  }
  return 0;
}

let status = 1;
try {
  status = await main();
} catch (e) {
  out({ na: `browser harness failed: ${String(e && e.message || e).split('\n')[0]}` });
  status = 0;
}
await cleanupAll();
process.exit(status);
