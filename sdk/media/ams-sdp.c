/* ams-sdp.c: SDP and ICE candidate helpers, written as a tolerant line
 * parser because they run on text from the network (and are fuzzed). */
#include "media/ams-sdp.h"

#include <string.h>
#include <stdlib.h>

/* Splits SDP into lines without their "\r". */
static char **
sdp_lines (const char *sdp)
{
  char **lines = g_strsplit (sdp ? sdp : "", "\n", -1);
  for (char **l = lines; *l; l++)
    g_strchomp (*l);
  return lines;
}

static gboolean
parse_uint (const char *text, guint64 max, guint64 *out)
{
  if (!text || !g_ascii_isdigit (*text))
    return FALSE;
  char *end = NULL;
  guint64 v = g_ascii_strtoull (text, &end, 10);
  if (v > max || (end && *end && !g_ascii_isspace (*end) && *end != '/'))
    return FALSE;
  *out = v;
  return TRUE;
}

void
ams_sdp_codec_free (AmsSdpCodec *codec)
{
  if (!codec)
    return;
  g_free (codec->media);
  g_free (codec->mid);
  g_free (codec->encoding_name);
  g_free (codec->fmtp);
  g_free (codec);
}

static AmsSdpCodec *
find_codec (GPtrArray *codecs, guint first, guint pt)
{
  for (guint i = first; i < codecs->len; i++) {
    AmsSdpCodec *c = codecs->pdata[i];
    if (c->payload_type == pt)
      return c;
  }
  return NULL;
}

GPtrArray *
ams_sdp_get_codecs (const char *sdp, GError **error)
{
  g_auto (GStrv) lines = sdp_lines (sdp);
  g_autoptr (GPtrArray) codecs = g_ptr_array_new_with_free_func ((GDestroyNotify) ams_sdp_codec_free);
  int mline = -1;
  guint first = 0;           /* first codec of the current m-line */
  char *media = NULL;

  for (char **l = lines; *l; l++) {
    const char *line = *l;
    if (g_str_has_prefix (line, "m=")) {
      mline++;
      first = codecs->len;
      g_free (media);
      const char *sp = strchr (line + 2, ' ');
      media = sp ? g_strndup (line + 2, sp - (line + 2)) : g_strdup (line + 2);
      /* Payload types listed on the m-line, in preference order. */
      g_auto (GStrv) f = g_strsplit (line + 2, " ", -1);
      guint n = g_strv_length (f);
      for (guint i = 3; i < n; i++) {
        guint64 pt;
        if (!parse_uint (f[i], 127, &pt) || find_codec (codecs, first, (guint) pt))
          continue;
        AmsSdpCodec *c = g_new0 (AmsSdpCodec, 1);
        c->mline = mline;
        c->media = g_strdup (media);
        c->payload_type = (guint) pt;
        g_ptr_array_add (codecs, c);
      }
      continue;
    }
    if (mline < 0)
      continue;
    if (g_str_has_prefix (line, "a=mid:")) {
      for (guint i = first; i < codecs->len; i++) {
        AmsSdpCodec *c = codecs->pdata[i];
        g_free (c->mid);
        c->mid = g_strdup (line + 6);
      }
    } else if (g_str_has_prefix (line, "a=rtpmap:")) {
      guint64 pt;
      const char *sp = strchr (line, ' ');
      if (!sp || !parse_uint (line + 9, 127, &pt))
        continue;
      AmsSdpCodec *c = find_codec (codecs, first, (guint) pt);
      if (!c)
        continue;
      g_auto (GStrv) p = g_strsplit (sp + 1, "/", 3);
      guint64 v;
      g_free (c->encoding_name);
      c->encoding_name = g_strdup (p[0]);
      if (p[0] && p[1] && parse_uint (p[1], G_MAXUINT32, &v))
        c->clock_rate = (guint) v;
      if (p[0] && p[1] && p[2] && parse_uint (p[2], 255, &v))
        c->channels = (guint) v;
    } else if (g_str_has_prefix (line, "a=fmtp:")) {
      guint64 pt;
      const char *sp = strchr (line, ' ');
      if (!sp || !parse_uint (line + 7, 127, &pt))
        continue;
      AmsSdpCodec *c = find_codec (codecs, first, (guint) pt);
      if (c && !c->fmtp)
        c->fmtp = g_strdup (sp + 1);
    } else if (g_str_has_prefix (line, "a=ssrc:")) {
      guint64 ssrc;
      if (!parse_uint (line + 7, G_MAXUINT32, &ssrc))
        continue;
      for (guint i = first; i < codecs->len; i++) {
        AmsSdpCodec *c = codecs->pdata[i];
        if (!c->ssrc)
          c->ssrc = (guint32) ssrc;
      }
    }
  }
  g_free (media);

  if (mline < 0) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_NEGOTIATION, "SDP has no m-line");
    return NULL;
  }
  return g_steal_pointer (&codecs);
}

guint
ams_sdp_count_media (const char *sdp)
{
  g_auto (GStrv) lines = sdp_lines (sdp);
  guint n = 0;
  for (char **l = lines; *l; l++)
    if (g_str_has_prefix (*l, "m="))
      n++;
  return n;
}

/* The value of the first @prefix line of m-section @index ("m=": its media kind). */
static char *
media_attribute (const char *sdp, guint index, const char *prefix)
{
  g_auto (GStrv) lines = sdp_lines (sdp);
  int mline = -1;
  for (char **l = lines; *l; l++) {
    if (g_str_has_prefix (*l, "m=")) {
      mline++;
      if (mline == (int) index && g_str_equal (prefix, "m=")) {
        const char *sp = strchr (*l + 2, ' ');
        return sp ? g_strndup (*l + 2, sp - (*l + 2)) : g_strdup (*l + 2);
      }
    } else if (mline == (int) index && g_str_has_prefix (*l, prefix)) {
      return g_strdup (*l + strlen (prefix));
    }
  }
  return NULL;
}

int
ams_sdp_mid_to_index (const char *sdp, const char *mid)
{
  if (!mid)
    return -1;
  g_auto (GStrv) lines = sdp_lines (sdp);
  int mline = -1;
  for (char **l = lines; *l; l++) {
    if (g_str_has_prefix (*l, "m="))
      mline++;
    else if (mline >= 0 && g_str_has_prefix (*l, "a=mid:") && g_str_equal (*l + 6, mid))
      return mline;
  }
  return -1;
}

char *
ams_sdp_index_to_mid (const char *sdp, guint index)
{
  return media_attribute (sdp, index, "a=mid:");
}

char *
ams_sdp_index_to_media (const char *sdp, guint index)
{
  return media_attribute (sdp, index, "m=");
}

gboolean
ams_sdp_codec_check (const AmsSdpCodec *codec, GError **error)
{
  if (!codec || !codec->encoding_name) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_NEGOTIATION, "payload type without rtpmap");
    return FALSE;
  }
  /* RFC 7587: Opus is always declared opus/48000/2 whatever it carries. */
  if (g_ascii_strcasecmp (codec->encoding_name, "opus") == 0 &&
      (codec->clock_rate != 48000 || codec->channels != 2)) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_NEGOTIATION,
                 "opus must be opus/48000/2, got opus/%u/%u", codec->clock_rate, codec->channels);
    return FALSE;
  }
  if ((g_ascii_strcasecmp (codec->encoding_name, "VP8") == 0 ||
       g_ascii_strcasecmp (codec->encoding_name, "H264") == 0) && codec->clock_rate != 90000) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_NEGOTIATION, "%s must use a 90000 clock, got %u",
                 codec->encoding_name, codec->clock_rate);
    return FALSE;
  }
  return TRUE;
}

void
ams_ice_candidate_clear (AmsIceCandidate *c)
{
  if (!c)
    return;
  g_clear_pointer (&c->foundation, g_free);
  g_clear_pointer (&c->address, g_free);
}

gboolean
ams_ice_candidate_parse (const char *line, AmsIceCandidate *out, GError **error)
{
  memset (out, 0, sizeof *out);
  if (line && g_str_has_prefix (line, "a="))
    line += 2;
  if (!line || !g_str_has_prefix (line, "candidate:")) {
    g_set_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL, "not an ICE candidate");
    return FALSE;
  }
  g_auto (GStrv) f = g_strsplit_set (line + 10, " \r\n", -1);
  /* Drop empty fields from repeated spaces. */
  GPtrArray *tok = g_ptr_array_new ();
  for (char **p = f; *p; p++)
    if (**p)
      g_ptr_array_add (tok, *p);
  gboolean ok = FALSE;
  guint64 v;
  if (tok->len < 8 || g_strcmp0 (tok->pdata[6], "typ") != 0)
    goto done;
  out->foundation = g_strdup (tok->pdata[0]);
  if (!parse_uint (tok->pdata[1], 256, &v))
    goto done;
  out->component = (guint) v;
  if (g_ascii_strcasecmp (tok->pdata[2], "udp") == 0)
    out->protocol = AMS_ICE_PROTOCOL_UDP;
  else if (g_ascii_strcasecmp (tok->pdata[2], "tcp") == 0)
    out->protocol = AMS_ICE_PROTOCOL_TCP;
  else
    goto done;
  if (!parse_uint (tok->pdata[3], G_MAXUINT64, &out->priority))
    goto done;
  if (!*(char *) tok->pdata[4])
    goto done;
  out->address = g_strdup (tok->pdata[4]);
  if (!parse_uint (tok->pdata[5], 65535, &v))
    goto done;
  out->port = (guint) v;
  const char *typ = tok->pdata[7];
  if (g_str_equal (typ, "host"))
    out->type = AMS_ICE_TYPE_HOST;
  else if (g_str_equal (typ, "srflx"))
    out->type = AMS_ICE_TYPE_SRFLX;
  else if (g_str_equal (typ, "prflx"))
    out->type = AMS_ICE_TYPE_PRFLX;
  else if (g_str_equal (typ, "relay"))
    out->type = AMS_ICE_TYPE_RELAY;
  else
    goto done;
  ok = TRUE;
done:
  g_ptr_array_unref (tok);
  if (ok)
    return TRUE;
  ams_ice_candidate_clear (out);
  g_set_error (error, AMS_ERROR, AMS_ERROR_PROTOCOL, "malformed ICE candidate");
  return FALSE;
}

gboolean
ams_candidate_filter_accepts (const AmsCandidateFilter *filter, const char *line)
{
  AmsIceCandidate c;
  if (!ams_ice_candidate_parse (line, &c, NULL))
    return FALSE;
  gboolean ok = TRUE;
  if (filter) {
    if (filter->protocols && !(filter->protocols & c.protocol))
      ok = FALSE;
    if (filter->types && !(filter->types & c.type))
      ok = FALSE;
    if (ok && filter->address && *filter->address) {
      g_auto (GStrv) allowed = g_strsplit (filter->address, ",", -1);
      ok = FALSE;
      for (char **a = allowed; *a; a++)
        if (g_str_equal (g_strstrip (*a), c.address))
          ok = TRUE;
    }
  }
  ams_ice_candidate_clear (&c);
  return ok;
}
