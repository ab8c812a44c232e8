// Network rule and wire log for the official SDK, installed before it loads.
//
// 1. RTCPeerConnection: ICE servers are always emptied (no public STUN/TURN,
//    whatever the SDK or a server's iceServerConfig says), and only candidates
//    on 127.0.0.0/8 are handed to the SDK or accepted from the remote side.
//    The others are counted so that a test can say how many were dropped.
// 2. WebSocket: every text frame the SDK sends or receives is reported (command,
//    streamId and a few fields) so that tests can observe pings, pongs and the
//    order of messages from the browser's side.
(function () {
  'use strict';

  function report(ev) {
    if (typeof window.__amsReport === 'function') {
      window.__amsReport(JSON.stringify(ev)).catch(function () {});
    }
  }
  window.__amsReportEvent = report;

  var t0 = performance.now();
  function now() { return Math.round((performance.now() - t0) * 10) / 10; }

  function candidateAddress(line) {
    // "candidate:<foundation> <component> <proto> <prio> <address> <port> typ ..."
    var parts = String(line || '').replace(/^a=/, '').split(' ');
    return parts.length > 5 ? parts[4] : '';
  }
  function isLoopback(addr) { return /^127\.\d+\.\d+\.\d+$/.test(addr); }

  var counters = { localKept: 0, localDropped: 0, remoteKept: 0, remoteDropped: 0,
    localAddresses: {}, remoteAddresses: {}, configsSeen: [] };
  window.__amsIce = counters;

  var NativePC = window.RTCPeerConnection;
  class LoopbackPeerConnection extends NativePC {
    constructor(config, ...rest) {
      counters.configsSeen.push(JSON.stringify(config || null));
      var cfg = Object.assign({}, config || {});
      cfg.iceServers = [];
      super(cfg, ...rest);
      this.__userIceHandler = null;
      this.__loopbackReady = true;
      super.onicecandidate = (ev) => {
        if (ev.candidate && ev.candidate.candidate) {
          var addr = candidateAddress(ev.candidate.candidate);
          if (!isLoopback(addr)) {
            counters.localDropped++;
            return;
          }
          counters.localKept++;
          counters.localAddresses[addr] = (counters.localAddresses[addr] || 0) + 1;
        }
        if (this.__userIceHandler) this.__userIceHandler(ev);
      };
    }
    get onicecandidate() { return this.__userIceHandler; }
    set onicecandidate(handler) {
      if (!this.__loopbackReady) { super.onicecandidate = handler; return; }
      this.__userIceHandler = handler;
    }
    addEventListener(type, listener, options) {
      if (type !== 'icecandidate') return super.addEventListener(type, listener, options);
      var wrapped = function (ev) {
        if (ev.candidate && ev.candidate.candidate && !isLoopback(candidateAddress(ev.candidate.candidate))) return;
        return typeof listener === 'function' ? listener.call(this, ev) : listener.handleEvent(ev);
      };
      return super.addEventListener(type, wrapped, options);
    }
    addIceCandidate(candidate, ...rest) {
      var line = candidate && (candidate.candidate !== undefined ? candidate.candidate : '');
      if (line) {
        var addr = candidateAddress(line);
        if (!isLoopback(addr)) {
          counters.remoteDropped++;
          return Promise.resolve();
        }
        counters.remoteKept++;
        counters.remoteAddresses[addr] = (counters.remoteAddresses[addr] || 0) + 1;
      }
      return super.addIceCandidate(candidate, ...rest);
    }
  }
  window.RTCPeerConnection = LoopbackPeerConnection;

  var NativeWS = window.WebSocket;
  var nextSocket = 1;
  function summary(text) {
    try {
      var o = JSON.parse(text);
      var s = { command: o.command };
      ['streamId', 'definition', 'type', 'room', 'mainTrack', 'label', 'id', 'mode'].forEach(function (k) {
        if (o[k] !== undefined) s[k] = o[k];
      });
      if (o.command === 'takeCandidate') s.address = candidateAddress(o.candidate);
      if (o.idMapping !== undefined) s.idMapping = o.idMapping;
      return s;
    } catch (e) {
      return { command: null, unparsable: String(text).slice(0, 80) };
    }
  }
  class ReportingWebSocket extends NativeWS {
    constructor(url, protocols) {
      super(url, protocols);
      var sock = nextSocket++;
      this.__sock = sock;
      report({ event: 'ws_open_requested', sock: sock, url: String(url), t: now() });
      super.addEventListener('open', function () { report({ event: 'ws_opened', sock: sock, t: now() }); });
      super.addEventListener('close', function (e) { report({ event: 'ws_closed', sock: sock, code: e.code, t: now() }); });
      super.addEventListener('message', function (e) {
        report(Object.assign({ event: 'ws_in', sock: sock, t: now() }, summary(e.data)));
      });
    }
    send(data) {
      report(Object.assign({ event: 'ws_out', sock: this.__sock, t: now() }, summary(data)));
      return super.send(data);
    }
  }
  window.WebSocket = ReportingWebSocket;

  window.addEventListener('error', function (e) {
    report({ event: 'page_error', message: String(e.message), where: (e.filename || '') + ':' + (e.lineno || 0), t: now() });
  });
  window.addEventListener('unhandledrejection', function (e) {
    report({ event: 'page_error', message: 'unhandled rejection: ' + String(e.reason && (e.reason.stack || e.reason)), t: now() });
  });
})();
