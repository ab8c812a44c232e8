// TAP output ("ok N - name" / "not ok N - name") and cleanup of everything a
// suite started, also when it is interrupted.
const cleanups = [];
let cleaning = null;

/** Registers fn to run once at the end (reverse order of registration). */
export function onCleanup(fn) { cleanups.push(fn); }

export async function cleanupAll() {
  if (!cleaning) {
    cleaning = (async () => {
      while (cleanups.length) {
        const fn = cleanups.pop();
        try { await fn(); } catch (e) { process.stderr.write(`# cleanup: ${e}\n`); }
      }
    })();
  }
  return cleaning;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    process.stdout.write(`not ok - interrupted by ${sig}\n`);
    const hard = setTimeout(() => process.exit(130), 8000);
    hard.unref();
    cleanupAll().finally(() => process.exit(130));
  });
}

export class Tap {
  constructor() {
    this.n = 0;
    this.failed = 0;
  }

  ok(cond, name, diag) {
    this.n++;
    if (!cond) this.failed++;
    process.stdout.write(`${cond ? 'ok' : 'not ok'} ${this.n} - ${name}\n`);
    if (!cond && diag !== undefined) this.diag(diag);
    return !!cond;
  }

  diag(what) {
    const text = typeof what === 'string' ? what : JSON.stringify(what, null, 1);
    for (const line of text.split('\n')) process.stdout.write(`#   ${line}\n`);
  }

  note(line) { process.stdout.write(`# ${line}\n`); }

  /** Ends the suite: cleanup, plan line, exit status. */
  async done() {
    await cleanupAll();
    process.stdout.write(`1..${this.n}\n`);
    process.exit(this.failed ? 1 : 0);
  }
}

/** Runs body(tap); an exception is one failed test, never a crash without TAP. */
export async function suite(body) {
  const tap = new Tap();
  try {
    await body(tap);
  } catch (e) {
    tap.ok(false, `suite raised: ${e && e.message ? e.message.split('\n')[0] : e}`);
    tap.diag(String(e && e.stack || e));
  }
  await tap.done();
}
