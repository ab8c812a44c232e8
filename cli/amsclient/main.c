/* amsclient: placeholder entry point until the command set lands. */
#include <amsclient/amsclient.h>
#include <stdio.h>

int
main (int argc, char **argv)
{
  printf ("amsclient %s\n", ams_version_string ());
  return 0;
}
