// The interop harness page: drives the official @antmedia/webrtc_adaptor (loaded
// as published, from its dist/es build) the way its sample pages do, and reports
// every callback, error, first decoded frame and stats snapshot to the driver.
//
// window.H is the driver's entry point; each call starts one "session" (one
// WebRTCAdaptor) and returns its id. Times are milliseconds since the session
// started (performance.now()), so they include the WebSocket connection and,
// for publishers, opening the fake camera.
import { WebRTCAdaptor } from '/sdk/index.js';

const report = (ev) => window.__amsReportEvent(ev);
const sessions = new Map();
let nextSession = 1;

// Callback payloads can hold MediaStreams or Events; keep what JSON can carry.
function plain(obj) {
  if (obj === undefined || obj === null) return obj;
  if (typeof obj !== 'object') return obj;
  if (obj instanceof Event) return { eventType: obj.type, code: obj.code };
  const out = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v instanceof MediaStream || v instanceof MediaStreamTrack) continue;
    try { out[k] = JSON.parse(JSON.stringify(v)); } catch (e) { out[k] = String(v); }
  }
  return out;
}

function emit(s, event, data = {}) {
  const t = Math.round((performance.now() - s.t0) * 10) / 10;
  if (!(event in s.firsts)) s.firsts[event] = t;
  s.counts[event] = (s.counts[event] || 0) + 1;
  report({ event, session: s.id, kind: s.kind, t, ...data });
}

function attachVideo(s, key, stream) {
  let v = s.videos.get(key);
  if (!v) {
    v = document.createElement('video');
    v.autoplay = true;
    v.muted = true;
    v.playsInline = true;
    v.dataset.session = String(s.id);
    v.dataset.key = key;
    document.getElementById('media').appendChild(v);
    s.videos.set(key, v);
  }
  if (v.srcObject !== stream) v.srcObject = stream;
  v.play().catch(() => {});
  return v;
}

// getStats of every peer connection of the adaptor: video in and out.
async function collectStats(s) {
  const out = { inbound: [], outbound: [], audioIn: [] };
  if (!s.adaptor) return out;
  const pcs = s.adaptor.remotePeerConnection || {};
  for (const [pcId, pc] of Object.entries(pcs)) {
    if (!pc || pc.signalingState === 'closed') continue;
    let report_;
    try { report_ = await pc.getStats(); } catch (e) { continue; }
    const mapping = (s.adaptor.idMapping && s.adaptor.idMapping[pcId]) || {};
    report_.forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') {
        out.inbound.push({
          pc: pcId, mid: r.mid ?? null, track: mapping[r.mid] ?? null, ssrc: r.ssrc,
          framesDecoded: r.framesDecoded || 0, framesReceived: r.framesReceived || 0,
          frameWidth: r.frameWidth || 0, frameHeight: r.frameHeight || 0,
          packetsReceived: r.packetsReceived || 0, packetsLost: r.packetsLost || 0,
          bytesReceived: r.bytesReceived || 0, codecId: r.codecId || null,
        });
      } else if (r.type === 'inbound-rtp' && r.kind === 'audio') {
        out.audioIn.push({ pc: pcId, mid: r.mid ?? null, track: mapping[r.mid] ?? null,
          packetsReceived: r.packetsReceived || 0, totalSamplesReceived: r.totalSamplesReceived || 0 });
      } else if (r.type === 'outbound-rtp' && r.kind === 'video') {
        out.outbound.push({
          pc: pcId, mid: r.mid ?? null, framesEncoded: r.framesEncoded || 0, framesSent: r.framesSent || 0,
          frameWidth: r.frameWidth || 0, frameHeight: r.frameHeight || 0,
          packetsSent: r.packetsSent || 0, bytesSent: r.bytesSent || 0,
        });
      }
    });
  }
  return out;
}

// Polls getStats to time the first decoded (and first encoded) frame of every
// video stream; fast until every stream seen has decoded once, slower after.
function startStatsPoller(s) {
  const tick = async () => {
    if (s.closed) return;
    const st = await collectStats(s);
    s.lastStats = st;
    let pending = false;
    for (const i of st.inbound) {
      const key = `${i.pc}/${i.mid}`;
      if (i.framesDecoded > 0 && !s.firstFrames.has(key)) {
        s.firstFrames.add(key);
        emit(s, 'first_frame_decoded', { pc: i.pc, mid: i.mid, track: i.track, width: i.frameWidth, height: i.frameHeight });
      } else if (i.framesDecoded === 0) pending = true;
    }
    for (const o of st.outbound) {
      const key = `out:${o.pc}/${o.mid}`;
      if (o.framesEncoded > 0 && !s.firstFrames.has(key)) {
        s.firstFrames.add(key);
        emit(s, 'first_frame_encoded', { pc: o.pc, mid: o.mid, width: o.frameWidth, height: o.frameHeight });
      } else if (o.framesEncoded === 0) pending = true;
    }
    const quiet = !pending && s.firstFrames.size > 0;
    s.pollTimer = setTimeout(tick, quiet ? 500 : 50);
  };
  s.pollTimer = setTimeout(tick, 50);
}

function newSession(kind, opts) {
  const s = {
    id: nextSession++, kind, opts, t0: performance.now(), firsts: {}, counts: {},
    adaptor: null, videos: new Map(), firstFrames: new Set(), played: new Set(),
    closed: false, lastStats: null, pollTimer: null, roomTimer: null, initializedOnce: false,
  };
  sessions.set(s.id, s);
  return s;
}

function makeAdaptor(s, onInfo, extra = {}) {
  const opts = s.opts;
  const config = {
    websocketURL: opts.url,
    mediaConstraints: opts.mediaConstraints || {
      video: { width: { ideal: opts.width || 640 }, height: { ideal: opts.height || 480 }, frameRate: { ideal: 30 } },
      audio: true,
    },
    sdp_constraints: { OfferToReceiveAudio: false, OfferToReceiveVideo: false },
    debug: !!opts.debug,
    callback: (info, obj) => {
      if (info === 'newTrackAvailable' || info === 'newStreamAvailable') {
        emit(s, info, { streamId: obj.streamId, trackId: obj.trackId ?? null, trackKind: obj.track && obj.track.kind });
      } else if (info === 'pong') {
        emit(s, 'pong');
      } else if (info === 'updated_stats') {
        // stats are gathered by the poller instead
      } else {
        emit(s, info, { obj: plain(obj) });
      }
      try { onInfo(info, obj); } catch (e) { emit(s, 'harness_error', { message: String(e && e.stack || e) }); }
    },
    callbackError: (error, message) => {
      emit(s, 'error', { error: String(error), obj: plain(message) });
    },
    ...extra,
  };
  // No public STUN: the SDK is given an empty list (so it also never asks the
  // server) unless a test wants to observe getIceServerConfig.
  if (!opts.askIceServers) config.peerconnection_config = { iceServers: [] };
  try {
    s.adaptor = new WebRTCAdaptor(config);
  } catch (e) {
    emit(s, 'harness_error', { message: 'WebRTCAdaptor constructor: ' + String(e && e.message || e) });
  }
  startStatsPoller(s);
  return s.id;
}

// Runs fn on the first "initialized" only: on a WebSocket reconnection the SDK
// fires "initialized" again and re-publishes/re-plays by itself.
function onFirstInitialized(s, info, fn) {
  if (info === 'initialized' && !s.initializedOnce) {
    s.initializedOnce = true;
    fn();
  }
}

function addRemoteTrack(s, obj) {
  if (!obj || !obj.stream || !obj.track || obj.track.kind !== 'video') return;
  attachVideo(s, `${obj.streamId}/${obj.trackId ?? obj.track.id}`, obj.stream);
}

const H = {
  ready: true,
  sdkLoaded: typeof WebRTCAdaptor === 'function',

  /** Opens only the WebSocket (pings, getIceServerConfig, …). */
  connect(opts) {
    const s = newSession('connect', opts);
    return makeAdaptor(s, () => {}, { isPlayMode: true });
  },

  /** Publishes the fake camera as opts.streamId (optionally as a subtrack of opts.mainTrack). */
  publish(opts) {
    const s = newSession('publish', opts);
    return makeAdaptor(s, (info) => onFirstInitialized(s, info, () =>
      s.adaptor.publish(opts.streamId, opts.token || '', '', '', opts.streamName || opts.streamId, opts.mainTrack || '', '', '')));
  },

  /** Plays opts.streamId into a <video> element, as the SDK's play samples do (remoteVideoElement). */
  play(opts) {
    const s = newSession('play', opts);
    const video = attachVideo(s, opts.streamId, null);
    return makeAdaptor(s, (info) => onFirstInitialized(s, info, () => s.adaptor.play(opts.streamId, opts.token || '')),
      { isPlayMode: true, remoteVideoElement: video });
  },

  /** Peer-to-peer: join opts.streamId with the fake camera; the remote video goes to an element. */
  p2p(opts) {
    const s = newSession('p2p', opts);
    const video = attachVideo(s, 'peer', null);
    return makeAdaptor(s, (info) => onFirstInitialized(s, info, () => s.adaptor.join(opts.streamId)),
      { remoteVideoElement: video });
  },

  /**
   * Legacy conference (conference-deprecated.html): joinRoom, publish the id the
   * server gives back, play every stream of the room, poll getRoomInfo for newcomers.
   */
  conferenceLegacy(opts) {
    const s = newSession('conference-legacy', opts);
    const playNew = (ids) => {
      for (const id of ids || []) {
        if (id === s.publishId || s.played.has(id)) continue;
        s.played.add(id);
        s.adaptor.play(id, opts.token || '', opts.room);
      }
    };
    return makeAdaptor(s, (info, obj) => {
      onFirstInitialized(s, info, () => s.adaptor.joinRoom(opts.room, opts.streamId || '', 'legacy'));
      if (info === 'joinedTheRoom') {
        s.publishId = obj.streamId;
        s.adaptor.publish(obj.streamId, opts.token || '');
        playNew(obj.streams);
        s.roomTimer = setInterval(() => s.adaptor.getRoomInfo(opts.room, s.publishId), opts.roomPollMs || 2000);
      } else if (info === 'roomInformation') {
        playNew(obj.streams);
      } else if (info === 'newTrackAvailable') {
        addRemoteTrack(s, obj);
      }
    });
  },

  /**
   * Multitrack conference (2.8+): publish as a subtrack of the room, then play
   * the room; remote tracks arrive with ids from the server's idMapping.
   */
  conferenceMultitrack(opts) {
    const s = newSession('conference-multitrack', opts);
    return makeAdaptor(s, (info, obj) => {
      onFirstInitialized(s, info, () =>
        s.adaptor.publish(opts.streamId, opts.token || '', '', '', opts.streamId, opts.room, '', ''));
      if (info === 'publish_started' && !s.roomPlayed) {
        s.roomPlayed = true;
        s.adaptor.play(opts.room, opts.token || '', opts.room, []);
      } else if (info === 'newTrackAvailable') {
        addRemoteTrack(s, obj);
      }
    });
  },

  async stats(id) {
    const s = sessions.get(id);
    if (!s) return null;
    const st = await collectStats(s);
    return { ...st, firsts: s.firsts, counts: s.counts, ice: window.__amsIce };
  },

  timings(id) {
    const s = sessions.get(id);
    return s ? { firsts: s.firsts, counts: s.counts } : null;
  },

  /** Stops everything the session started and closes its WebSocket. */
  async stop(id) {
    const s = sessions.get(id);
    if (!s || s.closed) return false;
    s.closed = true;
    clearTimeout(s.pollTimer);
    clearInterval(s.roomTimer);
    const a = s.adaptor;
    if (!a) return true;
    a.reconnectIfRequiredFlag = false;
    try {
      if (s.kind === 'p2p') a.leave(s.opts.streamId);
      else if (s.kind === 'conference-legacy') a.leaveFromRoom(s.opts.room, s.publishId);
      else for (const id2 of Object.keys(a.remotePeerConnection || {})) a.stop(id2);
    } catch (e) { /* the socket may already be gone */ }
    await new Promise((r) => setTimeout(r, 300));
    try { a.closeWebSocket(); } catch (e) { /* idem */ }
    return true;
  },
};

window.H = H;
report({ event: 'harness_ready', sdkLoaded: H.sdkLoaded });
