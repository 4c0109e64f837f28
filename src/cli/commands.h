/* pairsweep — the subcommands. Each returns the process exit status, one of the PS_EXIT_*
 * table of pairsweep/common.h (0 done, 1 failure, 2 bad usage or bad input, 3 stopped).
 * argv[0] is the subcommand's name. */
#ifndef PAIRSWEEP_CLI_COMMANDS_H
#define PAIRSWEEP_CLI_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

#include "pairsweep/common.h"
#include "pairsweep/data.h"

int ps_cmd_data(int argc, char **argv);
int ps_cmd_models(int argc, char **argv);
int ps_cmd_train(int argc, char **argv);
int ps_cmd_run(int argc, char **argv);
int ps_cmd_report(int argc, char **argv);
int ps_cmd_merge(int argc, char **argv);
int ps_cmd_status(int argc, char **argv);
int ps_cmd_export(int argc, char **argv);

/* ---- numbers: every number the user types goes through these ------------------------------ */

/* Parses the whole of s as a decimal integer in [lo, hi] into *out; returns 0, or -1 (and
 * leaves *out untouched) for anything else: empty, trailing characters, overflow, range. */
int ps_cli_parse_long(const char *s, long lo, long hi, long *out);

/* Parses the whole of s as a decimal integer 0..2^64-1 (digits only: no sign, no spaces) into
 * *out; returns 0, or -1 (and leaves *out untouched) for anything else, overflow included. */
int ps_cli_parse_u64(const char *s, uint64_t *out);

/* Parses the whole of s as a finite number in [lo, hi] into *out; returns 0, or -1 (*out
 * untouched) for anything else: empty, trailing characters, NaN, infinity, overflow, range.
 * An underflow reads as the tiny value (or 0) it rounds to. */
int ps_cli_parse_double(const char *s, double lo, double hi, double *out);

/* Splits s at its first sep: the text before it into head (cap bytes), *tail after it.
 * Returns 0, or -1 when s has no sep or the head does not fit. */
int ps_cli_split(const char *s, char sep, char *head, size_t cap, const char **tail);

/* Prints "pairsweep CMD: OPT: expected WANT, got 'TEXT'" (TEXT: what the user typed); returns
 * PS_EXIT_USAGE. */
int ps_cli_bad_value(const char *cmd, const char *opt, const char *want, const char *text);

/* ps_cli_parse_long of an option's text; on failure ps_cli_bad_value with "an integer
 * LO..HI" and its status. */
int ps_cli_opt_long(long *out, const char *cmd, const char *opt, const char *text, long lo,
                    long hi);

/* ---- messages and paths -------------------------------------------------------------------- */

/* Prints "pairsweep CMD: MESSAGE" (err's one line); returns the exit status of rc. */
int ps_cli_fail(const char *cmd, int rc, const ps_err *err);

/* Checks a results file to be read (pairsweep/path.h): a regular file, and its journal
 * (ps_cli_check_journal). Returns 0, or a negative code with err set. */
int ps_cli_check_results(const char *path, ps_err *err);

/* Checks the journal of a results file, FILE.journal: when there, a regular file (a FIFO
 * would block its reader). Returns 0, or a negative code with err set. */
int ps_cli_check_journal(const char *results, ps_err *err);

/* Checks the MNIST directory a command will read: when it exists, it must be a directory (a
 * missing one is left to ps_mnist_load, whose message says how to get MNIST). Returns 0, or a
 * negative code with err set. */
int ps_cli_check_mnist_dir(const char *dir, ps_err *err);

/* ps_path_check_output of an output path, its inputs being the MNIST files of mnist_dir (each
 * of the four raw and .gz) and extra with extra.journal (the job file, or a results file and
 * its journal; may be NULL). */
int ps_cli_check_output(const char *path, const char *mnist_dir, const char *extra, int flags,
                        const char *what, const char *replace_flag, ps_err *err);

#endif
