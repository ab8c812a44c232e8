/* ams-tokens.c: JWT HS256, hash tokens and TOTP for the mini-server. */
#include "server/ams-tokens.h"

#include <amsclient/ams-error.h>
#include <json-c/json.h>
#include <string.h>

gboolean
ams_token_equal (const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return FALSE;
  gsize la = strlen (a), lb = strlen (b);
  if (la != lb)
    return FALSE;
  volatile guchar diff = 0;
  for (gsize i = 0; i < la; i++)
    diff |= (guchar) a[i] ^ (guchar) b[i];
  return diff == 0;
}

char *
ams_token_hash_compute (const char *stream_id, const char *role, const char *secret)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, (const guchar *) (stream_id ? stream_id : ""), -1);
  g_checksum_update (sum, (const guchar *) (role ? role : ""), -1);
  g_checksum_update (sum, (const guchar *) (secret ? secret : ""), -1);
  return g_strdup (g_checksum_get_string (sum));
}

gboolean
ams_token_hash_verify (const char *token, const char *stream_id, const char *role,
                       const char *secret)
{
  if (token == NULL || secret == NULL)
    return FALSE;
  g_autofree char *expected = ams_token_hash_compute (stream_id, role, secret);
  g_autofree char *lower = g_ascii_strdown (token, -1);
  return ams_token_equal (lower, expected);
}

/* ------------------------------------------------------------------ JWT */

static char *
base64url_encode (const guchar *data, gsize len)
{
  char *s = g_base64_encode (data, len);
  gsize n = strlen (s);
  while (n > 0 && s[n - 1] == '=')
    s[--n] = '\0';
  for (char *p = s; *p; p++)
    *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
  return s;
}

static guchar *
base64url_decode (const char *text, gsize text_len, gsize *out_len)
{
  GString *s = g_string_sized_new (text_len + 4);
  for (gsize i = 0; i < text_len; i++)
    {
      char c = text[i];
      if (c == '-')
        c = '+';
      else if (c == '_')
        c = '/';
      else if (!g_ascii_isalnum (c))
        {
          g_string_free (s, TRUE);
          return NULL;
        }
      g_string_append_c (s, c);
    }
  if (s->len % 4 == 1)
    {
      g_string_free (s, TRUE);
      return NULL;
    }
  while (s->len % 4 != 0)
    g_string_append_c (s, '=');
  guchar *out = g_base64_decode (s->str, out_len);
  g_string_free (s, TRUE);
  return out;
}

static GBytes *
hs256 (const char *secret, const char *data, gsize len)
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secret, strlen (secret));
  guint8 digest[32];
  gsize dlen = sizeof digest;
  g_hmac_update (hmac, (const guchar *) data, len);
  g_hmac_get_digest (hmac, digest, &dlen);
  return g_bytes_new (digest, dlen);
}

char *
ams_token_jwt_create (const char *secret, const char *stream_id, const char *type, gint64 exp)
{
  g_return_val_if_fail (secret != NULL, NULL);
  const char *header = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
  json_object *claims = json_object_new_object ();
  if (stream_id)
    json_object_object_add (claims, "streamId", json_object_new_string (stream_id));
  if (type)
    json_object_object_add (claims, "type", json_object_new_string (type));
  json_object_object_add (claims, "exp", json_object_new_int64 (exp));
  const char *payload = json_object_to_json_string_ext (claims, JSON_C_TO_STRING_PLAIN);
  g_autofree char *h64 = base64url_encode ((const guchar *) header, strlen (header));
  g_autofree char *p64 = base64url_encode ((const guchar *) payload, strlen (payload));
  json_object_put (claims);
  g_autofree char *signing = g_strdup_printf ("%s.%s", h64, p64);
  g_autoptr (GBytes) sig = hs256 (secret, signing, strlen (signing));
  gsize slen;
  const guchar *sdata = g_bytes_get_data (sig, &slen);
  g_autofree char *s64 = base64url_encode (sdata, slen);
  return g_strdup_printf ("%s.%s", signing, s64);
}

/* Checks structure, algorithm, signature and expiry; returns the claims. */
static json_object *
jwt_verified_claims (const char *token, const char *secret, gint64 now_s, GError **error)
{
  if (token == NULL || secret == NULL || *secret == '\0')
    {
      g_set_error_literal (error, AMS_ERROR, AMS_ERROR_UNAUTHORIZED_ACCESS,
                           "no JWT or no secret configured");
      return NULL;
    }
  const char *dot1 = strchr (token, '.');
  const char *dot2 = dot1 ? strchr (dot1 + 1, '.') : NULL;
  if (dot1 == NULL || dot2 == NULL || strchr (dot2 + 1, '.') != NULL)
    {
      g_set_error_literal (error, AMS_ERROR, AMS_ERROR_UNAUTHORIZED_ACCESS,
                           "JWT is not three dot-separated parts");
      return NULL;
    }
  gsize hlen = 0, plen = 0, slen = 0;
  g_autofree guchar *hdr = base64url_decode (token, dot1 - token, &hlen);
  g_autofree guchar *pay = base64url_decode (dot1 + 1, dot2 - dot1 - 1, &plen);
  g_autofree guchar *sig = base64url_decode (dot2 + 1, strlen (dot2 + 1), &slen);
  if (hdr == NULL || pay == NULL || sig == NULL)
    {
      g_set_error_literal (error, AMS_ERROR, AMS_ERROR_UNAUTHORIZED_ACCESS,
                           "JWT is not base64url");
      return NULL;
    }
  json_tokener *tok = json_tokener_new ();
  json_object *h = json_tokener_parse_ex (tok, (const char *) hdr, (int) hlen);
  json_tokener_reset (tok);
  json_object *claims = json_tokener_parse_ex (tok, (const char *) pay, (int) plen);
  json_tokener_free (tok);
  json_object *alg = NULL;
  gboolean alg_ok = h && json_object_is_type (h, json_type_object)
                    && json_object_object_get_ex (h, "alg", &alg)
                    && json_object_is_type (alg, json_type_string)
                    && strcmp (json_object_get_string (alg), "HS256") == 0;
  json_object_put (h);
  if (!alg_ok || claims == NULL || !json_object_is_type (claims, json_type_object))
    {
      json_object_put (claims);
      g_set_error_literal (error, AMS_ERROR, AMS_ERROR_UNAUTHORIZED_ACCESS,
                           "JWT header or claims invalid, or alg is not HS256");
      return NULL;
    }
  g_autoptr (GBytes) expected = hs256 (secret, token, dot2 - token);
  gsize elen;
  const guchar *edata = g_bytes_get_data (expected, &elen);
  volatile guchar diff = slen != elen;
  for (gsize i = 0; i < elen; i++)
    diff |= edata[i] ^ (i < slen ? sig[i] : 0);
  if (diff != 0)
    {
      json_object_put (claims);
      g_set_error_literal (error, AMS_ERROR, AMS_ERROR_UNAUTHORIZED_ACCESS,
                           "JWT signature does not match");
      return NULL;
    }
  json_object *exp = NULL;
  if (json_object_object_get_ex (claims, "exp", &exp))
    {
      if (!json_object_is_type (exp, json_type_int) || json_object_get_int64 (exp) <= now_s)
        {
          json_object_put (claims);
          g_set_error_literal (error, AMS_ERROR, AMS_ERROR_UNAUTHORIZED_ACCESS,
                               "JWT expired");
          return NULL;
        }
    }
  return claims;
}

static gboolean
claim_equals (json_object *claims, const char *name, const char *want)
{
  json_object *v = NULL;
  return json_object_object_get_ex (claims, name, &v) && json_object_is_type (v, json_type_string)
         && want != NULL && strcmp (json_object_get_string (v), want) == 0;
}

gboolean
ams_token_jwt_verify (const char *token, const char *secret, const char *stream_id,
                      const char *type, gint64 now_s, GError **error)
{
  json_object *claims = jwt_verified_claims (token, secret, now_s, error);
  if (claims == NULL)
    return FALSE;
  gboolean ok = claim_equals (claims, "streamId", stream_id) && claim_equals (claims, "type", type);
  json_object_put (claims);
  if (!ok)
    g_set_error_literal (error, AMS_ERROR, AMS_ERROR_UNAUTHORIZED_ACCESS,
                         "JWT streamId or type claim does not match");
  return ok;
}

char *
ams_token_jwt_verify_claim (const char *token, const char *secret, const char *claim,
                            gint64 now_s)
{
  json_object *claims = jwt_verified_claims (token, secret, now_s, NULL);
  if (claims == NULL)
    return NULL;
  json_object *v = NULL;
  char *out = NULL;
  if (json_object_object_get_ex (claims, claim, &v) && json_object_is_type (v, json_type_string))
    out = g_strdup (json_object_get_string (v));
  json_object_put (claims);
  return out;
}

/* ----------------------------------------------------------------- TOTP */

GBytes *
ams_base32_decode (const char *text)
{
  if (text == NULL)
    return NULL;
  GByteArray *out = g_byte_array_new ();
  guint32 buffer = 0;
  int bits = 0;
  for (const char *p = text; *p; p++)
    {
      char c = g_ascii_toupper (*p);
      int v;
      if (c == '=' || c == ' ' || c == '-')
        continue;
      if (c >= 'A' && c <= 'Z')
        v = c - 'A';
      else if (c >= '2' && c <= '7')
        v = c - '2' + 26;
      else
        {
          g_byte_array_unref (out);
          return NULL;
        }
      buffer = (buffer << 5) | (guint32) v;
      bits += 5;
      if (bits >= 8)
        {
          guint8 byte = (buffer >> (bits - 8)) & 0xff;
          g_byte_array_append (out, &byte, 1);
          bits -= 8;
        }
    }
  return g_byte_array_free_to_bytes (out);
}

guint32
ams_totp_code (GBytes *secret, gint64 time_s, guint period_s, guint digits)
{
  g_return_val_if_fail (secret != NULL && period_s > 0 && digits >= 6 && digits <= 8, 0);
  guint64 counter = (guint64) (time_s < 0 ? 0 : time_s) / period_s;
  guint8 msg[8];
  for (int i = 7; i >= 0; i--)
    {
      msg[i] = counter & 0xff;
      counter >>= 8;
    }
  gsize klen;
  const guchar *key = g_bytes_get_data (secret, &klen);
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA1, key ? key : (const guchar *) "", klen);
  guint8 digest[20];
  gsize dlen = sizeof digest;
  g_hmac_update (hmac, msg, sizeof msg);
  g_hmac_get_digest (hmac, digest, &dlen);
  guint offset = digest[19] & 0x0f;
  guint32 bin = ((guint32) (digest[offset] & 0x7f) << 24) | ((guint32) digest[offset + 1] << 16)
                | ((guint32) digest[offset + 2] << 8) | digest[offset + 3];
  guint32 mod = 1;
  for (guint i = 0; i < digits; i++)
    mod *= 10;
  return bin % mod;
}

gboolean
ams_totp_verify (const char *secret_b32, const char *code, gint64 now_s, guint period_s,
                 guint digits)
{
  if (secret_b32 == NULL || code == NULL || period_s == 0 || digits < 6 || digits > 8
      || strlen (code) != digits)
    return FALSE;
  for (const char *p = code; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  g_autoptr (GBytes) secret = ams_base32_decode (secret_b32);
  if (secret == NULL || g_bytes_get_size (secret) == 0)
    return FALSE;
  gboolean ok = FALSE;
  for (int step = -1; step <= 1; step++)
    {
      char expected[16];
      g_snprintf (expected, sizeof expected, "%0*u", (int) digits,
                  ams_totp_code (secret, now_s + (gint64) step * period_s, period_s, digits));
      /* No early exit: every window is compared. */
      ok |= ams_token_equal (expected, code);
    }
  return ok;
}
