/* pairsweep — the subcommands. Each returns the process exit status: 0 success, 1 failure,
 * 2 bad usage or bad input. argv[0] is the subcommand's name. */
#ifndef PAIRSWEEP_CLI_COMMANDS_H
#define PAIRSWEEP_CLI_COMMANDS_H

int ps_cmd_data(int argc, char **argv);
int ps_cmd_models(int argc, char **argv);
int ps_cmd_train(int argc, char **argv);
int ps_cmd_run(int argc, char **argv);
int ps_cmd_report(int argc, char **argv);
int ps_cmd_merge(int argc, char **argv);
int ps_cmd_status(int argc, char **argv);
int ps_cmd_export(int argc, char **argv);

/* Parses the whole of s as a decimal integer in [lo, hi] into *out; returns 0, or -1 (and
 * leaves *out untouched) for anything else: empty, trailing characters, overflow, range. */
int ps_cli_parse_long(const char *s, long lo, long hi, long *out);

#endif
