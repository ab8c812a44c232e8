/* ws-frame.h: the few RFC 6455 pieces the load and fault tools need.
 *
 * A client of our own rather than libamsclient: the tools must be able to do
 * what a well-behaved client never does (flood, send garbage, vanish without
 * a close frame) and must stay far cheaper than the server they load.
 * Header-only (static functions) so that each tool is one cc command. */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  WS_OP_CONT = 0x0, WS_OP_TEXT = 0x1, WS_OP_BINARY = 0x2,
  WS_OP_CLOSE = 0x8, WS_OP_PING = 0x9, WS_OP_PONG = 0xA,
};

/* The handshake key is fixed: the tools do not check the accept hash, only
 * the 101 status (the server is ours and on loopback). */
#define WS_KEY "dGhlIHNhbXBsZSBub25jZQ=="

/* ws://HOST:PORT/PATH → parts.  Only loopback literals are accepted by the
 * callers; here we just split.  Returns 0 on success. */
static int
ws_parse_url (const char *url, char *host, size_t host_len, int *port, char *path, size_t path_len)
{
  if (strncmp (url, "ws://", 5) != 0)
    return -1;
  const char *h = url + 5;
  const char *colon = strchr (h, ':');
  const char *slash = strchr (h, '/');
  if (colon == NULL || slash == NULL || colon > slash || (size_t) (colon - h) >= host_len)
    return -1;
  memcpy (host, h, (size_t) (colon - h));
  host[colon - h] = '\0';
  *port = atoi (colon + 1);
  if (*port <= 0 || *port > 65535 || strlen (slash) >= path_len)
    return -1;
  strcpy (path, slash);
  return 0;
}

static int
ws_handshake_request (char *out, size_t out_len, const char *host, int port, const char *path)
{
  return snprintf (out, out_len,
                   "GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: Upgrade\r\n"
                   "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                   "Sec-WebSocket-Key: " WS_KEY "\r\n\r\n",
                   path, host, port);
}

/* Length of the HTTP response head in @buf (up to and including the blank
 * line), 0 when incomplete. */
static size_t
ws_response_head_len (const uint8_t *buf, size_t len)
{
  for (size_t i = 3; i < len; i++)
    if (buf[i - 3] == '\r' && buf[i - 2] == '\n' && buf[i - 1] == '\r' && buf[i] == '\n')
      return i + 1;
  return 0;
}

/* Client frames are masked (RFC 6455 §5.3).  Writes the frame to @out (which
 * needs len + 14 bytes) and returns its length. */
static size_t
ws_encode_frame (uint8_t *out, int opcode, int fin, const void *payload, size_t len)
{
  size_t n = 0;
  out[n++] = (uint8_t) ((fin ? 0x80 : 0) | (opcode & 0x0f));
  if (len < 126)
    out[n++] = (uint8_t) (0x80 | len);
  else if (len < 65536)
    {
      out[n++] = 0x80 | 126;
      out[n++] = (uint8_t) (len >> 8);
      out[n++] = (uint8_t) len;
    }
  else
    {
      out[n++] = 0x80 | 127;
      for (int i = 7; i >= 0; i--)
        out[n++] = (uint8_t) ((uint64_t) len >> (8 * i));
    }
  uint8_t mask[4] = { (uint8_t) rand (), (uint8_t) rand (), (uint8_t) rand (), (uint8_t) rand () };
  memcpy (out + n, mask, 4);
  n += 4;
  const uint8_t *p = payload;
  for (size_t i = 0; i < len; i++)
    out[n + i] = p[i] ^ mask[i & 3];
  return n + len;
}

typedef struct {
  int            opcode;
  int            fin;
  const uint8_t *payload;
  size_t         len;
} WsFrame;

/* Parses one server frame at the start of @buf.  Returns the bytes it takes,
 * 0 when more bytes are needed, -1 when the frame is invalid (a server must
 * not mask, and we refuse frames over @max_payload). */
static long
ws_parse_frame (const uint8_t *buf, size_t len, size_t max_payload, WsFrame *frame)
{
  if (len < 2)
    return 0;
  size_t n = 2;
  uint64_t plen = buf[1] & 0x7f;
  if (buf[1] & 0x80)
    return -1;
  if (plen == 126)
    {
      if (len < 4)
        return 0;
      plen = ((uint64_t) buf[2] << 8) | buf[3];
      n = 4;
    }
  else if (plen == 127)
    {
      if (len < 10)
        return 0;
      plen = 0;
      for (int i = 0; i < 8; i++)
        plen = (plen << 8) | buf[2 + i];
      n = 10;
    }
  if (plen > max_payload)
    return -1;
  if (len < n + plen)
    return 0;
  frame->opcode = buf[0] & 0x0f;
  frame->fin = (buf[0] & 0x80) != 0;
  frame->payload = buf + n;
  frame->len = (size_t) plen;
  return (long) (n + plen);
}

/* The status code of a close frame's payload, 1005 when it has none. */
static int
ws_close_code (const WsFrame *frame)
{
  if (frame->len < 2)
    return 1005;
  return (frame->payload[0] << 8) | frame->payload[1];
}
