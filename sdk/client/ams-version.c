/* ams-version.c: versions of the library and of what it is built on. */
#include <amsclient/ams-version.h>

#include <glib.h>
#include <libwebsockets.h>
#include <string.h>

const char *
ams_version_string (void)
{
  return AMS_VERSION_FULL;
}

const char *
ams_websockets_version (void)
{
  static char version[64];

  /* lws_get_library_version() is "4.1.6-" followed by a git hash that
   * distribution builds leave empty: keep the hash only when there is one. */
  if (version[0] == '\0')
    {
      g_strlcpy (version, lws_get_library_version (), sizeof version);
      gsize len = strlen (version);
      if (len > 0 && version[len - 1] == '-')
        version[len - 1] = '\0';
    }
  return version;
}
