// Shared pieces of the interop scenarios: the amsclient command lines, what
// the scenarios read from amsclient's --json events, and the side-by-side
// timing table (browser vs amsclient).
import { startCli, SLOW } from './procs.mjs';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** amsclient arguments common to every media command in these scenarios. */
export function cliArgs(command, { url, stream, room, frames, duration = 40, extra = [] }) {
  // --duration bounds the run; slow builds get SLOW times as long.
  const args = [command, '--url', url, '--json', '--ice-filter', 'loopback', '--duration', String(duration * SLOW)];
  if (stream) args.push('--stream', stream);
  if (room) args.push('--room', room);
  if (frames) args.push('--frames', String(frames));
  return [...args, ...extra];
}

export function runCli(command, opts) {
  return startCli(cliArgs(command, opts), { name: opts.name || `amsclient ${command}` });
}

const frameKeys = ['frames_decoded', 'framesDecoded', 'decoded_frames', 'video_frames_decoded'];
const widthKeys = ['width', 'frame_width', 'video_width', 'frameWidth'];
const heightKeys = ['height', 'frame_height', 'video_height', 'frameHeight'];
const pick = (ev, keys) => { for (const k of keys) if (typeof ev[k] === 'number') return ev[k]; return undefined; };

/**
 * What an amsclient run said on stdout (--json): times in ms since the process
 * was spawned, decoded frames and size per received stream (key: the event's
 * stream_id/track, or "" when it names none).
 */
export function cliFacts(handle) {
  const evs = handle.events;
  const first = (pred) => { const e = evs.find(pred); return e ? e.elapsed_ms : null; };
  const streams = new Map();
  for (const ev of evs) {
    const frames = pick(ev, frameKeys);
    if (frames === undefined) continue;
    const key = ev.track_id || ev.track || ev.stream_id || ev.streamId || '';
    const s = streams.get(key) || { frames: 0, width: 0, height: 0 };
    s.frames = Math.max(s.frames, frames);
    const w = pick(ev, widthKeys);
    const h = pick(ev, heightKeys);
    if (w) s.width = w;
    if (h) s.height = h;
    streams.set(key, s);
  }
  const exit = [...evs].reverse().find((e) => e.event === 'exit');
  return {
    connected: first((e) => e.event === 'connected'),
    publishStarted: first((e) => e.event === 'publish_started'),
    playStarted: first((e) => e.event === 'play_started'),
    firstFrame: first((e) => /first.?frame/.test(e.event) || (pick(e, frameKeys) || 0) > 0),
    streams,
    exitStatus: exit ? exit.status : undefined,
    errors: evs.filter((e) => e.event === 'error'),
  };
}

/** Largest per-stream frame count and its size, for single-stream runs. */
export function mainStream(facts) {
  let best = { frames: 0, width: 0, height: 0 };
  for (const s of facts.streams.values()) if (s.frames > best.frames) best = s;
  return best;
}

const fmt = (v) => (v === null || v === undefined ? '—' : `${Math.round(v)}`);

/**
 * Prints rows [label, browserMs, amsclientMs] as an aligned TAP comment table;
 * `columns` renames the two value columns.
 */
export function printTimings(tap, title, rows, {
  columns = ['browser', 'amsclient'],
  basis = 'ms since the session started; browser: adaptor created, amsclient: process spawned',
} = {}) {
  tap.note(`${title} (${basis})`);
  tap.note(`  ${'what'.padEnd(40)} ${columns[0].padStart(10)} ${columns[1].padStart(10)}`);
  for (const [label, b, c] of rows) tap.note(`  ${label.padEnd(40)} ${fmt(b).padStart(10)} ${fmt(c).padStart(10)}`);
  // The same figures for scripts: one JSON object on a comment line.
  const round = (v) => (v === null || v === undefined ? null : Math.round(v));
  tap.note(`timings-json ${JSON.stringify({ title, basis, columns,
    rows: rows.map(([label, b, c]) => ({ what: label, [columns[0]]: round(b), [columns[1]]: round(c) })) })}`);
}

/** Last stats' inbound video entries as "WxH:frames" for messages. */
export function describeInbound(stats) {
  return ((stats && stats.inbound) || []).map((i) => `${i.track || i.pc}:${i.frameWidth}x${i.frameHeight}:${i.framesDecoded}`).join(' ');
}

/** The first CLI lines of stderr, for diagnostics. */
export function cliDiag(handle) {
  return { args: handle.args.join(' '), events: handle.events.slice(-6), stderr: handle.stderr.slice(-8) };
}
