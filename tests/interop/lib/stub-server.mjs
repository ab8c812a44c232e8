// A minimal scripted AMS signalling server (node + ws) used to check the
// harness itself: Chromium, the official SDK, the launch flags and the
// loopback-only rule, independently of ams-mini-server.
//
// It records every text frame it receives and answers:
//   ping                 -> pong
//   getIceServerConfig   -> iceServerConfig with no server
//   publish              -> start (then records the offer and candidates; no answer)
//   play                 -> error no_stream_exist (error_code "404")
//   join/leave           -> peer-to-peer relay between two sockets (ams-protocol.md §6)
//   takeConfiguration/takeCandidate on a joined id -> relayed to the other peer
import { WebSocketServer } from 'ws';

export async function startStubServer() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 81920 });
  await new Promise((resolve) => wss.once('listening', resolve));
  const port = wss.address().port;
  const received = [];   // { conn, t, url, msg }
  const connections = []; // { conn, url, remoteAddress }
  const peers = new Map(); // streamId -> [ws, ...]
  let nextConn = 1;
  const t0 = Date.now();

  const send = (ws, obj) => { if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(obj)); };
  const other = (id, ws) => (peers.get(id) || []).find((p) => p !== ws);

  wss.on('connection', (ws, req) => {
    const conn = nextConn++;
    ws.__conn = conn;
    connections.push({ conn, url: req.url, remoteAddress: req.socket.remoteAddress });
    ws.on('message', (data, isBinary) => {
      let msg = null;
      try { msg = JSON.parse(data.toString()); } catch (e) { /* recorded as null */ }
      received.push({ conn, t: Date.now() - t0, url: req.url, msg, binary: isBinary });
      if (!msg || typeof msg.command !== 'string') return;
      switch (msg.command) {
        case 'ping': send(ws, { command: 'pong' }); break;
        case 'getIceServerConfig': send(ws, { command: 'iceServerConfig' }); break;
        case 'publish': send(ws, { command: 'start', streamId: msg.streamId }); break;
        case 'play':
          send(ws, { command: 'error', definition: 'no_stream_exist', streamId: msg.streamId, error_code: '404' });
          break;
        case 'join': {
          const list = peers.get(msg.streamId) || [];
          if (list.length >= 2) { send(ws, { command: 'error', definition: 'NoSpaceForNewPeer' }); break; }
          if (list.length === 1) send(list[0], { command: 'start', streamId: msg.streamId });
          list.push(ws);
          peers.set(msg.streamId, list);
          send(ws, { command: 'notification', definition: 'joined', streamId: msg.streamId });
          break;
        }
        case 'takeConfiguration':
        case 'takeCandidate': {
          const peer = other(msg.streamId, ws);
          if (peer) send(peer, msg);
          break;
        }
        case 'leave': {
          const peer = other(msg.streamId, ws);
          if (peer) send(peer, { command: 'stop', streamId: msg.streamId });
          peers.set(msg.streamId, (peers.get(msg.streamId) || []).filter((p) => p !== ws));
          send(ws, { command: 'notification', definition: 'leaved', streamId: msg.streamId });
          break;
        }
        default: break;
      }
    });
    ws.on('close', () => {
      for (const [id, list] of peers) {
        if (!list.includes(ws)) continue;
        const rest = list.filter((p) => p !== ws);
        for (const p of rest) send(p, { command: 'stop', streamId: id });
        peers.set(id, rest);
      }
    });
  });

  return {
    port,
    url: `ws://127.0.0.1:${port}/WebRTCAppEE/websocket`,
    received,
    connections,
    close: () => new Promise((resolve) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => resolve());
    }),
  };
}
