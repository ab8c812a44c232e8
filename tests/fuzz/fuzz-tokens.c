/* fuzz-tokens.c: libFuzzer target for the mini-server's token checks.
 *
 * The input is up to four lines: TOKEN, SECRET, STREAM_ID, TYPE. The token
 * is verified as a JWT, a hash token and a base32 TOTP secret; then tokens
 * made from the other lines must verify, and fail once expired or for
 * another stream. Anything else aborts. */
#include "server/ams-tokens.h"

#include <amsclient/ams-error.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define NOW 1764000000

static void
fail (const char *what, const char *text)
{
  fprintf (stderr, "fuzz-tokens: %s\n  %.200s\n", what, text != NULL ? text : "");
  abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text = g_strndup ((const char *) data, size);
  char **f = g_strsplit (text, "\n", 4);
  const char *token = f[0] ? f[0] : "";
  const char *secret = f[0] && f[1] ? f[1] : "secret";
  const char *stream = f[0] && f[1] && f[2] ? f[2] : "stream1";
  const char *type = f[0] && f[1] && f[2] && f[3] ? f[3] : "publish";
  GError *error = NULL;
  GBytes *key;
  char *s;

  /* Untrusted token: any answer, but a refusal says why in AMS_ERROR. */
  if (!ams_token_jwt_verify (token, secret, stream, type, NOW, &error))
    {
      if (error == NULL || error->domain != AMS_ERROR)
        fail ("jwt_verify refused without an AMS_ERROR", token);
      g_clear_error (&error);
    }
  g_free (ams_token_jwt_verify_claim (token, secret, "streamId", NOW));
  (void) ams_token_hash_verify (token, stream, type, secret);
  if (!ams_token_equal (token, token) || ams_token_equal (token, NULL))
    fail ("token_equal is wrong", token);

  key = ams_base32_decode (token);
  if (key != NULL)
    {
      guint32 code = ams_totp_code (key, NOW, 30, 6);
      char digits[16];

      if (code >= 1000000)
        fail ("TOTP code has more than 6 digits", token);
      g_snprintf (digits, sizeof digits, "%06u", code);
      /* An empty secret is refused outright, whatever the code. */
      if (g_bytes_get_size (key) > 0 && !ams_totp_verify (token, digits, NOW, 30, 6))
        fail ("TOTP code does not verify", token);
      g_bytes_unref (key);
    }
  (void) ams_totp_verify (secret, token, NOW, 60, 6);

  /* Tokens we make ourselves verify, and only where they should. */
  /* (An empty secret means "not configured": every token is refused.) */
  if (*secret != '\0' && g_utf8_validate (stream, -1, NULL) && g_utf8_validate (type, -1, NULL))
    {
      s = ams_token_jwt_create (secret, stream, type, NOW + 60);
      if (s == NULL)
        fail ("jwt_create failed", stream);
      if (!ams_token_jwt_verify (s, secret, stream, type, NOW, &error))
        fail (error != NULL ? error->message : "a fresh JWT does not verify", s);
      if (ams_token_jwt_verify (s, secret, stream, type, NOW + 61, &error))
        fail ("an expired JWT verifies", s);
      g_clear_error (&error);
      if (strcmp (stream, "other") != 0 &&
          ams_token_jwt_verify (s, secret, "other", type, NOW, &error))
        fail ("a JWT verifies for another stream", s);
      g_clear_error (&error);
      g_free (s);
    }
  s = ams_token_hash_compute (stream, type, secret);
  if (s == NULL || strlen (s) != 64 || !ams_token_hash_verify (s, stream, type, secret))
    fail ("a computed hash token does not verify", s);
  g_free (s);

  g_strfreev (f);
  g_free (text);
  return 0;
}
