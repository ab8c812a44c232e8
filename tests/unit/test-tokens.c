/* test-tokens: JWT HS256, hash tokens and TOTP against published vectors. */
#include "server/ams-tokens.h"

#include <amsclient/ams-error.h>
#include <string.h>

static void
test_equal (void)
{
  g_assert_true (ams_token_equal ("abc", "abc"));
  g_assert_false (ams_token_equal ("abc", "abd"));
  g_assert_false (ams_token_equal ("abc", "abcd"));
  g_assert_false (ams_token_equal (NULL, "a"));
  g_assert_false (ams_token_equal ("a", NULL));
  g_assert_true (ams_token_equal ("", ""));
}

static void
test_hash (void)
{
  /* echo -n "stream1publishmysecret" | sha256sum */
  const char *golden = "b9067944ad7129399515fb8dcecf122f1d9dd83c3c90cbff2247d110256aee25";
  g_autofree char *h = ams_token_hash_compute ("stream1", "publish", "mysecret");
  g_assert_cmpstr (h, ==, golden);
  g_assert_true (ams_token_hash_verify (golden, "stream1", "publish", "mysecret"));
  g_autofree char *upper = g_ascii_strup (golden, -1);
  g_assert_true (ams_token_hash_verify (upper, "stream1", "publish", "mysecret"));
  g_assert_false (ams_token_hash_verify (golden, "stream1", "play", "mysecret"));
  g_assert_false (ams_token_hash_verify (golden, "stream2", "publish", "mysecret"));
  g_assert_false (ams_token_hash_verify (golden, "stream1", "publish", "other"));
  g_assert_false (ams_token_hash_verify (NULL, "stream1", "publish", "mysecret"));
  g_assert_false (ams_token_hash_verify (golden, "stream1", "publish", NULL));
}

static void
test_jwt_known_vector (void)
{
  /* The example token of RFC 7519 tooling (HS256, secret
   * "your-256-bit-secret"); it has no exp claim. */
  const char *tok = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
                    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
  g_autofree char *name = ams_token_jwt_verify_claim (tok, "your-256-bit-secret", "name", 0);
  g_assert_cmpstr (name, ==, "John Doe");
  g_assert_null (ams_token_jwt_verify_claim (tok, "wrong-secret", "name", 0));
  /* One flipped signature character. */
  g_autofree char *bad = g_strdup (tok);
  bad[strlen (bad) - 2] = bad[strlen (bad) - 2] == 'A' ? 'B' : 'A';
  g_assert_null (ams_token_jwt_verify_claim (bad, "your-256-bit-secret", "name", 0));
}

static void
test_jwt_stream_claims (void)
{
  gint64 now = 1700000000;
  g_autofree char *tok = ams_token_jwt_create ("k", "s1", "publish", now + 10);
  GError *e = NULL;
  g_assert_true (ams_token_jwt_verify (tok, "k", "s1", "publish", now, &e));
  g_assert_no_error (e);
  g_assert_false (ams_token_jwt_verify (tok, "k", "s1", "play", now, &e));
  g_assert_error (e, AMS_ERROR, AMS_ERROR_UNAUTHORIZED_ACCESS);
  g_clear_error (&e);
  g_assert_false (ams_token_jwt_verify (tok, "k", "s2", "publish", now, NULL));
  g_assert_false (ams_token_jwt_verify (tok, "k2", "s1", "publish", now, NULL));
  g_assert_false (ams_token_jwt_verify (tok, "k", "s1", "publish", now + 10, &e));
  g_assert_error (e, AMS_ERROR, AMS_ERROR_UNAUTHORIZED_ACCESS);
  g_assert_nonnull (strstr (e->message, "expired"));
  /* The message never quotes the token. */
  g_assert_null (strstr (e->message, tok));
  g_clear_error (&e);
  g_assert_false (ams_token_jwt_verify (tok, "", "s1", "publish", now, NULL));
  g_assert_false (ams_token_jwt_verify (NULL, "k", "s1", "publish", now, NULL));

  /* alg "none" with the same claims is refused. */
  const char *dot = strchr (tok, '.');
  const char *dot2 = strchr (dot + 1, '.');
  g_autofree char *claims = g_strndup (dot + 1, dot2 - dot - 1);
  g_autofree char *none = g_strdup_printf ("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.%s.", claims);
  g_assert_false (ams_token_jwt_verify (none, "k", "s1", "publish", now, NULL));
  /* Malformed shapes. */
  const char *shapes[] = { "", "a", "a.b", "a.b.c.d", "!!.??.**", "e30.e30.", NULL };
  for (guint i = 0; shapes[i]; i++)
    g_assert_false (ams_token_jwt_verify (shapes[i], "k", "s1", "publish", now, NULL));
}

static void
test_totp_rfc6238 (void)
{
  /* RFC 6238 appendix B, SHA-1, secret "12345678901234567890", 8 digits. */
  g_autoptr (GBytes) secret = ams_base32_decode ("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  g_assert_nonnull (secret);
  g_assert_cmpmem (g_bytes_get_data (secret, NULL), g_bytes_get_size (secret),
                   "12345678901234567890", 20);
  const struct { gint64 t; guint32 code; } v[] = {
    { 59, 94287082 }, { 1111111109, 7081804 }, { 1111111111, 14050471 },
    { 1234567890, 89005924 }, { 2000000000, 69279037 }, { 20000000000, 65353130 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (v); i++)
    g_assert_cmpuint (ams_totp_code (secret, v[i].t, 30, 8), ==, v[i].code);
  /* 6 digits are the last 6 of the same value. */
  g_assert_cmpuint (ams_totp_code (secret, 59, 30, 6), ==, 287082);
  g_assert_true (ams_totp_verify ("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "287082", 59, 30, 6));
  /* One step of drift either side is accepted, two are not. */
  g_assert_true (ams_totp_verify ("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "287082", 59 + 30, 30, 6));
  g_assert_false (ams_totp_verify ("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "287082", 59 + 61, 30, 6));
  g_assert_false (ams_totp_verify ("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "28708", 59, 30, 6));
  g_assert_false (ams_totp_verify ("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "28708x", 59, 30, 6));
  g_assert_false (ams_totp_verify ("not base32!", "287082", 59, 30, 6));
  g_assert_false (ams_totp_verify (NULL, "287082", 59, 30, 6));
  g_assert_false (ams_totp_verify ("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", NULL, 59, 30, 6));
  /* base32: lower case and padding accepted. */
  g_autoptr (GBytes) mf = ams_base32_decode ("mzxw6===");
  g_assert_cmpmem (g_bytes_get_data (mf, NULL), g_bytes_get_size (mf), "foo", 3);
  g_assert_null (ams_base32_decode ("1"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tokens/equal", test_equal);
  g_test_add_func ("/tokens/hash", test_hash);
  g_test_add_func ("/tokens/jwt-known-vector", test_jwt_known_vector);
  g_test_add_func ("/tokens/jwt-stream-claims", test_jwt_stream_claims);
  g_test_add_func ("/tokens/totp-rfc6238", test_totp_rfc6238);
  return g_test_run ();
}
