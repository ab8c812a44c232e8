// Launches Debian's Chromium through playwright-core (no downloaded browser) with
// the flags that keep WebRTC on loopback, opens the harness page and gives
// tests a small API over window.H (page/harness.mjs).
import { chromium } from 'playwright-core';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from './static-server.mjs';
import { SLOW } from './procs.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const interopDir = path.resolve(here, '..');

// The exact launch flags of issue 8. --host-resolver-rules makes every name but
// localhost fail to resolve inside Chromium (no DNS query leaves the machine);
// Chromium applies the rules to IP literals too, hence the 127.0.0.1 exclusion.
export const chromiumArgs = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
  '--allow-loopback-in-peer-connection',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
];
// Merged into playwright's own --disable-features list by bin/chromium-merged-features.
export const extraDisabledFeatures = ['WebRtcHideLocalIpsWithMdns'];

export class Interop extends EventEmitter {
  constructor() {
    super();
    this.events = [];
    this.browser = null;
    this.page = null;
    this.server = null;
    this.verbose = !!process.env.AMS_INTEROP_VERBOSE;
  }

  static async start(options = {}) {
    const it = new Interop();
    await it._start(options);
    return it;
  }

  async _start(options) {
    this.server = await startStaticServer();
    const executablePath = path.join(interopDir, 'bin/chromium-merged-features');
    this.browser = await chromium.launch({
      executablePath,
      args: chromiumArgs,
      env: {
        ...process.env,
        AMS_EXTRA_DISABLED_FEATURES: extraDisabledFeatures.join(','),
        AMS_CHROMIUM: process.env.AMS_CHROMIUM || '/usr/bin/chromium',
      },
      timeout: 60000,
    });
    const context = await this.browser.newContext({ permissions: ['camera', 'microphone'] });
    this.page = await context.newPage();
    await this.page.exposeFunction('__amsReport', (json) => this._onReport(json));
    this.page.on('console', (msg) => {
      // Refused reconnections while a test has stopped the server are expected noise.
      const expected = /WebSocket connection to .* failed/.test(msg.text());
      if (this.verbose || (msg.type() === 'error' && !expected)) this._log(`console.${msg.type()}: ${msg.text()}`);
    });
    this.page.on('pageerror', (err) => this._onReport(JSON.stringify({ event: 'page_error', message: String(err) })));
    await this.page.goto(`${this.server.origin}/page/index.html`);
    await this.page.waitForFunction(() => window.H && window.H.ready, null, { timeout: 30000 });
  }

  _log(line) {
    process.stderr.write(`# browser: ${line}\n`);
  }

  _onReport(json) {
    let ev;
    try { ev = JSON.parse(json); } catch (e) { return; }
    ev.wall = Date.now();
    this.events.push(ev);
    if (this.verbose) this._log(JSON.stringify(ev));
    else if (ev.event === 'page_error' || ev.event === 'harness_error') this._log(JSON.stringify(ev));
    this.emit('event', ev);
  }

  /** True when the page imported WebRTCAdaptor from the SDK's dist/es build. */
  async sdkLoaded() {
    return this.page.evaluate(() => window.H.sdkLoaded);
  }

  call(method, opts) {
    return this.page.evaluate(([m, o]) => window.H[m](o), [method, opts]);
  }
  connect(opts) { return this.call('connect', opts); }
  publish(opts) { return this.call('publish', opts); }
  play(opts) { return this.call('play', opts); }
  p2p(opts) { return this.call('p2p', opts); }
  conferenceLegacy(opts) { return this.call('conferenceLegacy', opts); }
  conferenceMultitrack(opts) { return this.call('conferenceMultitrack', opts); }
  stats(session) { return this.page.evaluate((id) => window.H.stats(id), session); }
  timings(session) { return this.page.evaluate((id) => window.H.timings(id), session); }
  stop(session) { return this.page.evaluate((id) => window.H.stop(id), session); }
  iceCounters() { return this.page.evaluate(() => window.__amsIce); }

  eventsOf(session, name) {
    return this.events.filter((e) => e.session === session && (!name || e.event === name));
  }

  /**
   * Resolves with the first event (past or future) matching pred, or null after
   * timeoutMs.
   */
  waitFor(pred, timeoutMs) {
    const found = this.events.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const onEvent = (ev) => {
        if (!pred(ev)) return;
        clearTimeout(timer);
        this.off('event', onEvent);
        resolve(ev);
      };
      const timer = setTimeout(() => { this.off('event', onEvent); resolve(null); }, timeoutMs * SLOW);
      this.on('event', onEvent);
    });
  }

  waitEvent(session, name, timeoutMs, extra = () => true) {
    return this.waitFor((e) => e.session === session && e.event === name && extra(e), timeoutMs);
  }

  /**
   * Polls getStats until `count` inbound video streams of the session have each
   * decoded at least minFrames frames. Returns the last stats and whether it
   * succeeded.
   */
  async waitDecoded(session, { minFrames = 30, count = 1, timeoutMs = 20000 } = {}) {
    const deadline = Date.now() + timeoutMs * SLOW;
    let st = null;
    for (;;) {
      st = await this.stats(session);
      const good = (st ? st.inbound : []).filter((i) => i.framesDecoded >= minFrames);
      if (good.length >= count) return { ok: true, stats: st };
      if (Date.now() > deadline) return { ok: false, stats: st };
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async close() {
    try { if (this.browser) await this.browser.close(); } catch (e) { /* already gone */ }
    if (this.server) await this.server.close();
  }
}
