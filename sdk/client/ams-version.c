/* ams-version.c: the version of the library that is loaded. */
#include <amsclient/ams-version.h>

const char *
ams_version_string (void)
{
  return AMS_VERSION_FULL;
}
