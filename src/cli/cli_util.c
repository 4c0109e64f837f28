/* pairsweep — small helpers shared by the subcommands: numbers, messages, input paths. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "pairsweep/data.h"
#include "pairsweep/path.h"

int ps_cli_parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int ps_cli_parse_u64(const char *s, uint64_t *out)
{
    /* strtoull would accept a sign ("-1" wraps) and leading spaces: digits only */
    if (*s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

int ps_cli_parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    /* ERANGE: an overflow (refused) or an underflow (read as the tiny value strtod gives) */
    if (end == s || *end || !isfinite(v) || (errno == ERANGE && fabs(v) >= 1) ||
        !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

int ps_cli_split(const char *s, char sep, char *head, size_t cap, const char **tail)
{
    const char *at = strchr(s, sep);
    if (!at || (size_t)(at - s) >= cap)
        return -1;
    memcpy(head, s, (size_t)(at - s));
    head[at - s] = '\0';
    *tail = at + 1;
    return 0;
}

int ps_cli_bad_value(const char *cmd, const char *opt, const char *want, const char *text)
{
    fprintf(stderr, "pairsweep %s: %s: expected %s, got '%s'\n", cmd, opt, want, text);
    return PS_EXIT_USAGE;
}

int ps_cli_opt_long(long *out, const char *cmd, const char *opt, const char *text, long lo,
                    long hi)
{
    if (!ps_cli_parse_long(text, lo, hi, out))
        return 0;
    char want[64];
    snprintf(want, sizeof want, "an integer %ld..%ld", lo, hi);
    return ps_cli_bad_value(cmd, opt, want, text);
}

int ps_cli_fail(const char *cmd, int rc, const ps_err *err)
{
    fprintf(stderr, "pairsweep %s: %s\n", cmd, err->msg[0] ? err->msg : ps_strerror(rc));
    return ps_exit_status(rc);
}

int ps_cli_check_results(const char *path, ps_err *err)
{
    int rc = ps_path_check(path, PS_PATH_FILE, "a pairsweep results file", err);
    return rc ? rc : ps_cli_check_journal(path, err);
}

int ps_cli_check_journal(const char *results, ps_err *err)
{
    char journal[PS_PATH_MAX + 16];
    snprintf(journal, sizeof journal, "%s.journal", results);
    int rc = ps_path_check(journal, PS_PATH_FILE | PS_PATH_OPTIONAL,
                           "the journal of a results file", err);
    return rc == 1 ? 0 : rc;
}

int ps_cli_check_mnist_dir(const char *dir, ps_err *err)
{
    int rc = ps_path_check(dir, PS_PATH_DIR | PS_PATH_OPTIONAL, "the MNIST directory", err);
    return rc < 0 ? rc : 0;
}

int ps_cli_check_output(const char *path, const char *mnist_dir, const char *extra, int flags,
                        const char *what, const char *replace_flag, ps_err *err)
{
    char mnist[8][PS_PATH_MAX], journal[PS_PATH_MAX + 16];
    const char *in[10];
    int n = 0;
    for (int i = 0; i < 8; i++) {
        snprintf(mnist[i], PS_PATH_MAX, "%s/%s%s", mnist_dir, ps_mnist_file_name(i / 2),
                 i % 2 ? ".gz" : "");
        in[n++] = mnist[i];
    }
    if (extra) {
        snprintf(journal, sizeof journal, "%s.journal", extra);
        in[n++] = extra;
        in[n++] = journal;
    }
    return ps_path_check_output(path, in, n, flags, what, replace_flag, err);
}
