// A static file server on 127.0.0.1 for the harness page and the official SDK's
// ES modules (served from node_modules, exactly as published on npm).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const interopDir = path.resolve(here, '..');

// URL prefix -> directory. Nothing outside these directories is served.
const roots = {
  '/page/': path.join(interopDir, 'page'),
  '/sdk/': path.join(interopDir, 'node_modules/@antmedia/webrtc_adaptor/dist/es'),
};

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
};

function resolve(urlPath) {
  for (const [prefix, dir] of Object.entries(roots)) {
    if (!urlPath.startsWith(prefix)) continue;
    const file = path.normalize(path.join(dir, decodeURIComponent(urlPath.slice(prefix.length))));
    if (!file.startsWith(dir + path.sep)) return null;
    return file;
  }
  return null;
}

/**
 * Starts the server on a free loopback port.
 * @returns {Promise<{port:number, origin:string, close:() => Promise<void>}>}
 */
export function startStaticServer() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    // The volume meter worklet is loaded relative to the page (official-sdks.md §6.2).
    let urlPath = url.pathname;
    if (urlPath === '/page/volume-meter-processor.js') urlPath = '/sdk/volume-meter-processor.js';
    const file = resolve(urlPath);
    if (!file || req.method !== 'GET') {
      res.writeHead(404).end();
      return;
    }
    fs.readFile(file, (err, body) => {
      if (err) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, {
        'Content-Type': types[path.extname(file)] || 'application/octet-stream',
        'Cache-Control': 'no-store',
      });
      res.end(body);
    });
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolvePromise({
        port,
        origin: `http://127.0.0.1:${port}`,
        close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}
