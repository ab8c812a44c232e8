// Peer reference for the signalling benchmark: Node + ws answering the AMS
// application ping {"command":"ping"} with {"command":"pong"}, the way an AMS
// compatible server written in Node would (every message is parsed as JSON).
//
//   node node-ws-server.mjs [--port N]
//
// Port 0 (the default) lets the kernel pick; prints "listening on
// 127.0.0.1:PORT" once ready. Binds 127.0.0.1 only; stops on SIGINT/SIGTERM.
import { WebSocketServer } from 'ws';

let port = 0;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--port' && i + 1 < args.length) port = Number(args[++i]);
  else {
    console.error('usage: node node-ws-server.mjs [--port N]');
    process.exit(2);
  }
}
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('node-ws-server: bad port');
  process.exit(2);
}

const PONG = JSON.stringify({ command: 'pong' });
// ws's defaults, stated: no permessage-deflate, 100 MiB max payload.
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false,
                                  backlog: 4096, clientTracking: false });

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    let msg;
    try {
      msg = JSON.parse(data.toString());
    } catch {
      return;                   // AMS drops unparsable messages silently
    }
    if (msg && msg.command === 'ping') ws.send(PONG);
  });
  ws.on('error', () => {});
});

wss.on('listening', () => {
  console.log(`listening on 127.0.0.1:${wss.address().port}`);
});

const stop = () => { wss.close(); process.exit(0); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
