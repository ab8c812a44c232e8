/* cli-config.h: amsclient.conf(5), a GKeyFile with a [default] section and
 * named profiles. Keys are the long option names without the dashes. */
#pragma once

#include <glib.h>

typedef struct _CliConfig CliConfig;

/* Loads @explicit_path, or else the user's file
 * ($XDG_CONFIG_HOME/amsclient/amsclient.conf), and selects [default] plus
 * the [@profile] section when @profile is not NULL. A missing user file is
 * not an error: an empty CliConfig is returned. A missing explicit file, a
 * syntax error or an unknown profile is (G_FILE_ERROR or G_KEY_FILE_ERROR). */
CliConfig *cli_config_load (const char *explicit_path, const char *profile, GError **error);
void cli_config_free (CliConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliConfig, cli_config_free)

/* The file that was read, or NULL when there was none. (transfer none) */
const char *cli_config_get_path (CliConfig *config);

/* The value of @key: the profile's if it has one, else [default]'s.
 * Returns NULL when neither has it. (transfer full) */
char *cli_config_get_string (CliConfig *config, const char *key, GError **error);
/* Same for a list value (`a;b;c`). (transfer full) */
char **cli_config_get_list (CliConfig *config, const char *key, GError **error);

/* Every key of the selected sections, for spotting typos. (transfer full) */
char **cli_config_get_keys (CliConfig *config);
