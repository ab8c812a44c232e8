/* ams-tokens.h: the stream-security checks of the mini-server.
 *
 * Four kinds of token, as AMS has them (ams-protocol.md §8.1):
 *  - one-time tokens: opaque strings bound to a stream id and a role, consumed
 *    on first use (kept by the server core, not here);
 *  - JWT stream tokens: HS256 with a shared secret, claims `streamId`,
 *    `type` ("publish" or "play") and `exp`;
 *  - hash tokens: hex sha256(streamId + role + secret);
 *  - TOTP subscriber codes: RFC 6238, 6 digits, HMAC-SHA1, with a base32
 *    subscriber secret.
 *
 * Every comparison of secret material runs in constant time. Nothing here
 * logs a token or a secret. All functions are pure and thread-safe. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when @a and @b have the same length and bytes; the time taken depends
 * only on the lengths. NULL compares unequal to everything. */
gboolean ams_token_equal (const char *a, const char *b);

/* Returns: (transfer full): lower-case hex sha256(stream_id + role + secret). */
char    *ams_token_hash_compute (const char *stream_id, const char *role, const char *secret);
gboolean ams_token_hash_verify (const char *token, const char *stream_id, const char *role,
                                const char *secret);

/* Returns: (transfer full): a compact HS256 JWT with the claims streamId,
 * type and exp (seconds since the epoch). For tests and tooling. */
char    *ams_token_jwt_create (const char *secret, const char *stream_id, const char *type,
                               gint64 exp);
/* Checks signature (alg must be HS256), that `streamId` equals @stream_id,
 * `type` equals @type and `exp` is later than @now_s. FALSE with @error
 * (AMS_ERROR_UNAUTHORIZED_ACCESS) saying which check failed, never the token. */
gboolean ams_token_jwt_verify (const char *token, const char *secret, const char *stream_id,
                               const char *type, gint64 now_s, GError **error);
/* Verifies the HS256 signature and the `exp` claim only and returns the
 * value of string claim @claim (transfer full), or NULL. */
char    *ams_token_jwt_verify_claim (const char *token, const char *secret, const char *claim,
                                     gint64 now_s);

/* RFC 4648 base32 (upper or lower case, '=' padding optional, spaces
 * ignored). Returns: (transfer full) or NULL on bad input. */
GBytes  *ams_base32_decode (const char *text);

/* The TOTP code (RFC 6238, HMAC-SHA1) of @secret for the time step that
 * contains @time_s. @digits 6..8. */
guint32  ams_totp_code (GBytes *secret, gint64 time_s, guint period_s, guint digits);
/* TRUE when @code (a decimal string of exactly @digits digits) is the code
 * of the current step or one step either side (clock drift). @secret_b32 is
 * the base32 secret. */
gboolean ams_totp_verify (const char *secret_b32, const char *code, gint64 now_s,
                          guint period_s, guint digits);

G_END_DECLS
