// Processes and sockets: ams-mini-server and amsclient started by PID (and
// ended by PID), Chromium's process tree, and the sockets those processes hold.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import readline from 'node:readline';
import { onCleanup } from './tap.mjs';

const top = process.env.AMS_TOP || path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const build = process.env.BUILD || 'build';
export const miniServerBin = process.env.MINISERVER_BIN || path.join(top, build, 'bin/ams-mini-server');
export const amsclientBin = process.env.AMSCLIENT_BIN || path.join(top, build, 'bin/amsclient');
export const appName = 'WebRTCAppEE';

// Slow builds scale every wait of the scenarios (and the server's publish
// start timeout): programs built with sanitizers run 2-4x slower, under
// valgrind 20-50x. AMS_SLOW=N sets the factor by hand.
function slowFactor() {
  if (process.env.AMS_SLOW) return Math.max(1, Number(process.env.AMS_SLOW) || 1);
  if (process.env.AMS_VALGRIND) return 8;
  if (process.env.SANITIZE) return 4;
  try {
    if (/libasan/.test(execFileSync('ldd', [amsclientBin], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))) return 4;
  } catch (e) { /* not a dynamic executable (a wrapper script): not sanitised */ }
  return 1;
}
export const SLOW = slowFactor();

// Chromium and the other suites keep this 2-core machine busy: the server's
// CPU guard (highResourceUsage above 75 %, as in AMS) would refuse sessions at
// random, and it is not what these scenarios test. The relay gathers and
// accepts loopback candidates only. The publish start timeout (10 s by
// default) scales with SLOW.
export const defaultServerConfig = `[server]\ncpu-limit=0\nstart-timeout-ms=${10000 * SLOW}\n`
  + '[media]\nice-address=127.0.0.1\ncandidate-address=127.0.0.1\n';

export function wsUrl(port) { return `ws://127.0.0.1:${port}/${appName}/websocket`; }

function killTree(child, signal = 'SIGTERM') {
  if (child.exitCode === null && child.signalCode === null) {
    try { process.kill(child.pid, signal); } catch (e) { /* gone */ }
  }
}

function waitExit(child, timeoutMs) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => { clearTimeout(timer); resolve(true); });
  });
}

async function stopChild(child, timeoutMs = 5000) {
  killTree(child, 'SIGTERM');
  if (!(await waitExit(child, timeoutMs))) {
    killTree(child, 'SIGKILL');
    await waitExit(child, 2000);
  }
}

/**
 * Starts ams-mini-server on 127.0.0.1 (a free port unless `port` is given) and
 * reads the "listening on 127.0.0.1:PORT" line it prints.
 */
export async function startMiniServer({ port = 0, args = [], config = defaultServerConfig, timeoutMs = 15000 * SLOW } = {}) {
  if (!fs.existsSync(miniServerBin)) throw new Error(`${miniServerBin} does not exist (not built yet)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ams-interop-'));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  const configFile = path.join(dir, 'ams-mini-server.conf');
  fs.writeFileSync(configFile, config);
  const child = spawn(miniServerBin, ['--bind', '127.0.0.1', '--port', String(port), '--config', configFile, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const handle = { child, pid: child.pid, port: 0, url: null, output: [] };
  // A binary that cannot be executed (being rebuilt, say) is an error line, not a crash.
  child.on('error', (e) => handle.output.push(`spawn: ${e.message}`));
  onCleanup(() => stopChild(child));
  const rlErr = readline.createInterface({ input: child.stderr });
  rlErr.on('line', (l) => { handle.output.push(l); if (process.env.AMS_INTEROP_VERBOSE) process.stderr.write(`# server: ${l}\n`); });
  const rl = readline.createInterface({ input: child.stdout });
  const found = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    rl.on('line', (line) => {
      handle.output.push(line);
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(line);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    child.once('exit', (code, sig) => { clearTimeout(timer); resolve(null); });
  });
  if (!found) {
    await stopChild(child);
    throw new Error(`ams-mini-server did not report its port (exit ${child.exitCode ?? child.signalCode}): ${handle.output.slice(-5).join(' | ')}`);
  }
  handle.port = found;
  handle.url = wsUrl(found);
  handle.stop = () => stopChild(child);
  return handle;
}

/**
 * Starts amsclient with --json. Every stdout line that parses as JSON is kept
 * as an event, stamped with the milliseconds since the process was spawned.
 */
export function startCli(args, { name = 'amsclient' } = {}) {
  if (!fs.existsSync(amsclientBin)) throw new Error(`${amsclientBin} does not exist (not built yet)`);
  const t0 = Date.now();
  const child = spawn(amsclientBin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AMSCLIENT_NO_CONFIG: '1' },
  });
  const handle = { child, pid: child.pid, name, args, t0, events: [], stderr: [], waiters: [] };
  child.on('error', (e) => handle.stderr.push(`spawn: ${e.message}`));
  onCleanup(() => stopChild(child));
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    let ev;
    try { ev = JSON.parse(line); } catch (e) { return; }
    if (!ev || typeof ev !== 'object') return;
    ev.elapsed_ms = Date.now() - t0;
    handle.events.push(ev);
    if (process.env.AMS_INTEROP_VERBOSE) process.stderr.write(`# ${name}: ${line}\n`);
    for (const w of [...handle.waiters]) w(ev);
  });
  readline.createInterface({ input: child.stderr }).on('line', (l) => {
    handle.stderr.push(l);
    if (process.env.AMS_INTEROP_VERBOSE) process.stderr.write(`# ${name} stderr: ${l}\n`);
  });
  handle.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (e) => { if (child.exitCode === null) resolve({ code: null, signal: null, error: e.message }); });
  });
  handle.waitFor = (pred, timeoutMs) => {
    const found = handle.events.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const w = (ev) => { if (pred(ev)) { done(); resolve(ev); } };
      const timer = setTimeout(() => { done(); resolve(null); }, timeoutMs * SLOW);
      const exitWatch = () => { done(); resolve(handle.events.find(pred) || null); };
      child.once('exit', exitWatch);
      function done() { clearTimeout(timer); handle.waiters = handle.waiters.filter((x) => x !== w); child.off('exit', exitWatch); }
      handle.waiters.push(w);
    });
  };
  // First SIGINT = clean stop (DESIGN.md CLI conventions).
  handle.interrupt = async (timeoutMs = 8000) => {
    killTree(child, 'SIGINT');
    if (!(await waitExit(child, timeoutMs * SLOW))) await stopChild(child);
    return handle.exited;
  };
  handle.stop = () => stopChild(child);
  return handle;
}

/** Pids of every process below rootPid (read from /proc). */
export function descendantPids(rootPid = process.pid) {
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try { stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8'); } catch (e) { continue; }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(entry));
  }
  const out = [];
  const stack = [rootPid];
  while (stack.length) {
    for (const c of children.get(stack.pop()) || []) { out.push(c); stack.push(c); }
  }
  return out;
}

export function cmdlineOf(pid) {
  try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean); } catch (e) { return []; }
}

/**
 * The TCP and UDP sockets held by the given pids, from `ss -tunapH`:
 * [{ proto, state, local, peer, pid }]
 */
export function socketsOf(pids) {
  const want = new Set(pids.map(Number));
  let text = '';
  try { text = execFileSync('ss', ['-tunapH'], { encoding: 'utf8' }); } catch (e) { return null; }
  const out = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    const users = line.slice(line.indexOf('users:'));
    for (const m of users.matchAll(/pid=(\d+)/g)) {
      if (want.has(Number(m[1]))) {
        out.push({ proto: f[0], state: f[1], local: f[4], peer: f[5], pid: Number(m[1]) });
        break;
      }
    }
  }
  return out;
}

/** Host part of an ss address ("127.0.0.1:5080", "[::1]:80", "*:*", "0.0.0.0%lo:53"). */
export function hostOf(addr) {
  let h = addr.replace(/:[^:]*$/, '');
  h = h.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  return h;
}

export function isLoopbackHost(h) {
  return /^127\./.test(h) || h === '::1' || h === '::ffff:127.0.0.1' || /^::ffff:127\./.test(h);
}

/** True when the address is a wildcard (unconnected peer or any-address bind). */
export function isWildcardHost(h) {
  return h === '*' || h === '0.0.0.0' || h === '::' || h === '';
}
