/* ams-mini-server: placeholder entry point until the server lands. */
#include <amsclient/amsclient.h>
#include <stdio.h>

int
main (int argc, char **argv)
{
  printf ("ams-mini-server %s\n", ams_version_string ());
  return 0;
}
