/* ams-mini-server: an Ant Media Server compatible signalling server for
 * development, CI and demos on one machine (see ams-mini-server(1)). */
#include <amsclient/amsclient.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

typedef struct {
  GMainLoop *loop;
  int        signals;
} App;

static gboolean
on_signal (gpointer user_data)
{
  App *app = user_data;
  /* The first signal stops cleanly; a second one exits at once. */
  if (++app->signals > 1)
    exit (130);
  g_main_loop_quit (app->loop);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *bind = NULL;
  g_autofree char *config = NULL;
  g_auto (GStrv) faults = NULL;
  gint port = -1;
  gboolean version = FALSE, verbose = FALSE;
  GOptionEntry entries[] = {
    { "bind", 'b', 0, G_OPTION_ARG_STRING, &bind,
      "Address to listen on (default 127.0.0.1)", "ADDR" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &port,
      "TCP port (default 5080; 0 picks a free port)", "N" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Configuration file (GKeyFile)",
      "FILE" },
    { "fault", 0, 0, G_OPTION_ARG_STRING_ARRAY, &faults,
      "Fault directive for tests, repeatable (see the manual)", "DIRECTIVE" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log connections on stderr", NULL },
    { "version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  /* Log messages (--verbose, G_MESSAGES_DEBUG) go to stderr: stdout carries
   * only the "listening on" line that scripts wait for. */
  g_log_writer_default_set_use_stderr (TRUE);
  g_autoptr (GOptionContext) oc = g_option_context_new ("- Ant Media Server compatible mini-server");
  g_option_context_add_main_entries (oc, entries, NULL);
  g_option_context_set_description (
      oc, "WebSocket endpoint: ws://ADDR:PORT/<App>/websocket (any App).\n"
          "For one machine only; production deployments use Ant Media Server itself.\n"
          "See ams-mini-server(1) for the configuration keys and fault directives.");
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    {
      fprintf (stderr, "ams-mini-server: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (version)
    {
      printf ("ams-mini-server %s\n", ams_version_string ());
      return EXIT_OK;
    }
  if (argc > 1)
    {
      fprintf (stderr, "ams-mini-server: unexpected argument '%s'\n", argv[1]);
      return EXIT_USAGE;
    }
  if (port < -1 || port > 65535)
    {
      fprintf (stderr, "ams-mini-server: --port must be from 0 to 65535\n");
      return EXIT_USAGE;
    }
  if (verbose)
    g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);

  g_autoptr (AmsMiniServer) server = ams_mini_server_new (NULL);
  if (config && !ams_mini_server_load_config_file (server, config, &error))
    {
      fprintf (stderr, "ams-mini-server: %s\n", error->message);
      return EXIT_USAGE;
    }
  for (char **f = faults; f && *f; f++)
    if (!ams_mini_server_add_fault (server, *f, &error))
      {
        fprintf (stderr, "ams-mini-server: %s\n", error->message);
        return EXIT_USAGE;
      }
  if (bind)
    ams_mini_server_set_bind_address (server, bind);
  if (port >= 0)
    ams_mini_server_set_port (server, (guint) port);
  if (!ams_mini_server_start (server, &error))
    {
      fprintf (stderr, "ams-mini-server: %s\n", error->message);
      return EXIT_RUNTIME;
    }

  g_autofree char *address = NULL;
  g_object_get (server, "bind-address", &address, NULL);
  printf ("listening on %s:%u\n", address, ams_mini_server_get_port (server));
  fflush (stdout);

  App app = { .loop = g_main_loop_new (NULL, FALSE) };
  guint sigint = g_unix_signal_add (SIGINT, on_signal, &app);
  guint sigterm = g_unix_signal_add (SIGTERM, on_signal, &app);
  g_main_loop_run (app.loop);
  ams_mini_server_stop (server);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_main_loop_unref (app.loop);
  return EXIT_OK;
}
