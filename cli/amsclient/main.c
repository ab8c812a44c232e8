/* main.c: `amsclient <command> [options]`: finds the command, parses its
 * options, runs it and turns the outcome into a stable exit status. */
#include <amsclient/amsclient.h>
#include <gst/gst.h>
#include <locale.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <string.h>

#include "cli-command.h"
#include "cli-exit.h"
#include "cli-options.h"
#include "cli-output.h"

/* On by default in the tool: a new run takes its DTLS key from the cache
 * instead of spending 100-450 ms on RSA generation before it can connect
 * (amsclient(1), --dtls-key-cache). Must come before the first stream. */
static void
apply_dtls_key_cache (CliOptions *options)
{
  if (!(cli_options_get_command (options)->flag & CLI_CMD_MEDIA) ||
      cli_options_get_bool (options, CLI_OPT_NO_DTLS_KEY_CACHE))
    return;
  g_autoptr (GError) error = NULL;
  if (!ams_media_set_dtls_key_cache (cli_options_get_string (options, CLI_OPT_DTLS_KEY_CACHE), 0,
                                     &error))
    g_warning ("%s", error->message);
}

/* glibc serves a block of 128 KiB or more with mmap, but the first time such
 * a block is freed it raises that threshold to the block's size, for good.
 * From then on libvpx's buffers (a 7 MB one and ten of 560 KB for a 640x480
 * VP8 encoder) come from the arena of the thread that made them, and a freed
 * encoder's 15 MB stay in that arena: each reconnection of a publisher added
 * up to 20 MB of RSS (47 MB fresh, 95 MB after four). A fixed threshold keeps
 * blocks from 512 KiB on mmapped, so they go back to the kernel when freed;
 * raw 640x480 frames (452 KiB, one per frame) stay under it and are reused
 * from the arena without a system call. MALLOC_MMAP_THRESHOLD_ or
 * GLIBC_TUNABLES in the environment take precedence. */
static void
tune_malloc (void)
{
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD)
  if (g_getenv ("MALLOC_MMAP_THRESHOLD_") || g_getenv ("GLIBC_TUNABLES"))
    return;
  mallopt (M_MMAP_THRESHOLD, 512 * 1024);
#endif
}

static const CliCommand commands[] = {
  { "publish", CLI_CMD_PUBLISH, "send a stream to the server",
    "Publishes --stream ID: a test pattern and tone unless --video-source, --audio-source or\n"
    "--file say otherwise. With --room the stream joins that room as a subtrack.",
    cli_cmd_publish_run },
  { "play", CLI_CMD_PLAY, "receive a stream from the server",
    "Plays --stream ID (a stream, or a room's main track), decoding every frame; --record FILE\n"
    "keeps it, --video-sink/--audio-sink show or play it.",
    cli_cmd_play_run },
  { "p2p", CLI_CMD_P2P, "a peer-to-peer call through the server",
    "Joins the peer-to-peer session --stream ID and exchanges media with the other peer.",
    cli_cmd_p2p_run },
  { "conference", CLI_CMD_CONFERENCE, "join a conference room",
    "Joins --room ROOM: publishes own media (as --stream ID, or an id the server picks) and\n"
    "plays every other participant, following joins and leaves.",
    cli_cmd_conference_run },
  { "info", CLI_CMD_INFO, "show a stream's renditions (getStreamInfo)",
    "Asks for the renditions of --stream ID and prints them. Exit status 5 when the stream\n"
    "does not exist or is not live.",
    cli_cmd_info_run },
  { "room-info", CLI_CMD_ROOM_INFO, "list the streams of a room (getRoomInfo)",
    "Lists the active streams of --room ROOM (without --stream ID, one's own). Exit status 5\n"
    "when the room has no active stream.",
    cli_cmd_room_info_run },
  { "ping", CLI_CMD_PING, "check that a server answers, with the round-trip time",
    "Connects, sends ping and prints the round-trip time of each pong. Exit status 3 when it\n"
    "cannot connect, 8 when no pong comes within --timeout.",
    cli_cmd_ping_run },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: amsclient COMMAND [OPTIONS]\n\n"
                "Publish, play, call and confer on Ant Media Server compatible servers.\n\n"
                "Commands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-12s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nOther options:\n"
                "  -h, --help     Show this help\n"
                "  --version      Show the versions of amsclient and the libraries it uses\n\n"
                "'amsclient COMMAND --help' lists the options of COMMAND. See amsclient(1).\n");
}

static void
print_version (void)
{
  g_autofree char *gst = gst_version_string ();

  printf ("amsclient %s\n", AMS_VERSION_STRING);
  printf ("libamsclient %s\n", ams_version_string ());
  printf ("%s\n", gst);
  printf ("libwebsockets %s\n", ams_websockets_version ());
  printf ("GLib %u.%u.%u\n", glib_major_version, glib_minor_version, glib_micro_version);
}

static const CliCommand *
find_command (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

int
main (int argc, char **argv)
{
  const CliCommand *command;
  g_autoptr (CliOptions) options = NULL;
  g_autoptr (GError) error = NULL;
  gboolean help_shown = FALSE;
  int status;

  tune_malloc ();
  setlocale (LC_ALL, "");
  /* GLib sends debug and info messages to stdout by default: with
   * G_MESSAGES_DEBUG set they would break --json (stdout is events only). */
  g_log_writer_default_set_use_stderr (TRUE);

  if (argc < 2) {
    cli_output_usage_error (NULL, "no command given");
    return CLI_EXIT_USAGE;
  }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
      strcmp (argv[1], "help") == 0) {
    print_usage (stdout);
    return CLI_EXIT_OK;
  }
  if (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "-V") == 0) {
    print_version ();
    return CLI_EXIT_OK;
  }
  /* Not in --help: for the tests that compare it with amsclient(1). */
  if (strcmp (argv[1], "--list-exit-codes") == 0) {
    cli_exit_print_table (stdout);
    return CLI_EXIT_OK;
  }

  command = find_command (argv[1]);
  if (command == NULL) {
    g_autofree char *message = g_strdup_printf ("unknown command '%s'", argv[1]);
    cli_output_usage_error (NULL, message);
    return CLI_EXIT_USAGE;
  }

  options = cli_options_parse (command, argc - 1, argv + 1, &help_shown, &error);
  if (help_shown)
    return CLI_EXIT_OK;
  if (options == NULL) {
    cli_output_usage_error (command->name, error->message);
    return CLI_EXIT_USAGE;
  }
  if (cli_options_get_bool (options, CLI_OPT_PRINT_CONFIG)) {
    cli_options_print (options, stdout);
    return CLI_EXIT_OK;
  }

  cli_output_init (cli_options_get_bool (options, CLI_OPT_JSON),
                   cli_options_get_bool (options, CLI_OPT_QUIET));
  apply_dtls_key_cache (options);
  status = command->run (options);
  cli_output_exit (status);
  return status;
}
