/* fuzz-sdp.c: libFuzzer target for the SDP and ICE candidate helpers.
 *
 * The input is used whole as SDP text, and each of its lines as a candidate
 * attribute. Checked invariants (from ams-sdp.h): codecs only come from
 * existing m-lines, an SDP without m-lines gives an error, mid <-> index
 * lookups agree (a mid found at index i is found again at i or earlier), failures set an AMS_ERROR, and the candidate filter accepts
 * exactly what parses and matches it. Anything else aborts. */
#include "media/ams-sdp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
fail (const char *what, const char *text)
{
  fprintf (stderr, "fuzz-sdp: %s\n  %.200s\n", what, text != NULL ? text : "");
  abort ();
}

static void
check_error (GError **error, const char *what, const char *text)
{
  if (*error == NULL || (*error)->domain != AMS_ERROR || (*error)->message == NULL)
    fail (what, text);
  g_clear_error (error);
}

static void
check_sdp (const char *sdp)
{
  GError *error = NULL;
  guint count = ams_sdp_count_media (sdp);
  GPtrArray *codecs = ams_sdp_get_codecs (sdp, &error);

  if (codecs == NULL)
    check_error (&error, "get_codecs failed without an error", sdp);
  else
    {
      if (count == 0)
        fail ("codecs from an SDP without m-lines", sdp);
      for (guint i = 0; i < codecs->len; i++)
        {
          const AmsSdpCodec *codec = g_ptr_array_index (codecs, i);
          if (codec->mline >= count)
            fail ("codec of an m-line that does not exist", sdp);
          /* A static payload type has no rtpmap: encoding_name may be NULL. */
          if (codec->media == NULL)
            fail ("codec without a media kind", sdp);
          if (!ams_sdp_codec_check (codec, &error))
            check_error (&error, "codec_check failed without an error", sdp);
        }
      g_ptr_array_unref (codecs);
    }

  /* Each lookup parses the whole text: bound the work per input. */
  for (guint i = 0; i <= MIN (count, 64u); i++)
    {
      char *mid = ams_sdp_index_to_mid (sdp, i);
      char *media = ams_sdp_index_to_media (sdp, i);

      if (i == count && (mid != NULL || media != NULL))
        fail ("mid or media of an m-line past the end", sdp);
      if (mid != NULL)
        {
          int j = ams_sdp_mid_to_index (sdp, mid);
          char *back;

          if (j < 0 || (guint) j > i)
            fail ("mid_to_index does not find the first m-line with that mid", sdp);
          /* An m-section with two a=mid lines (invalid SDP) is found by
           * either, so only insist that section j has a mid. */
          back = ams_sdp_index_to_mid (sdp, (guint) j);
          if (back == NULL)
            fail ("mid_to_index found a section without a mid", sdp);
          g_free (back);
        }
      g_free (mid);
      g_free (media);
    }
}

static void
check_candidate (const char *line)
{
  AmsIceCandidate cand = { 0 };
  GError *error = NULL;
  gboolean parsed = ams_ice_candidate_parse (line, &cand, &error);
  const AmsCandidateFilter loopback_udp_host = {
    .protocols = AMS_ICE_PROTOCOL_UDP, .types = AMS_ICE_TYPE_HOST, .address = "127.0.0.1,::1",
  };

  if (!parsed)
    check_error (&error, "candidate_parse failed without an error", line);
  if (ams_candidate_filter_accepts (NULL, line) != parsed)
    fail ("NULL filter disagrees with candidate_parse", line);
  if (ams_candidate_filter_accepts (&loopback_udp_host, line) &&
      (!parsed || cand.protocol != AMS_ICE_PROTOCOL_UDP || cand.type != AMS_ICE_TYPE_HOST ||
       cand.address == NULL ||
       (strcmp (cand.address, "127.0.0.1") != 0 && strcmp (cand.address, "::1") != 0)))
    fail ("filter accepted a candidate it should refuse", line);
  ams_ice_candidate_clear (&cand);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text = g_strndup ((const char *) data, size);
  char **lines;

  check_sdp (text);
  lines = g_strsplit (text, "\n", 64);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_strchomp (lines[i]);
      check_candidate (lines[i]);
    }
  g_strfreev (lines);
  g_free (text);
  return 0;
}
