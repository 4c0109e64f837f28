/* pairsweep — error codes, error messages and small shared helpers.
 *
 * Library functions return 0 on success or a negative PS_E* code; a human-readable message
 * (one line, naming the file and what was expected) is written into a caller-owned ps_err.
 * Only src/cli prints and exits. */
#ifndef PAIRSWEEP_COMMON_H
#define PAIRSWEEP_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define PS_VERSION "0.1.0"

enum {
    PS_OK = 0,
    PS_EINVAL = -1,   /* bad input: a file or value that is not what was expected */
    PS_EIO = -2,      /* an operating-system or library I/O failure */
    PS_ENOMEM = -3,   /* out of memory */
    PS_EFORMAT = -4,  /* a file whose content is malformed */
    PS_ESTATE = -5,   /* a file or run in the wrong state (another job, unfinished, ...) */
    PS_EDIVERGED = -6,/* training produced NaN or infinity */
    PS_EINTR = -7,    /* interrupted by a signal */
};

/* A one-line error message, filled by the function that failed. */
typedef struct ps_err {
    int code;        /* the PS_E* code */
    char msg[512];   /* "FILE:LINE: what was expected" or "FILE: what was wrong" */
} ps_err;

/* Sets err (when not NULL) to code and a printf-formatted message; returns code, so that
 * `return ps_err_set(err, PS_EINVAL, "...")` reads naturally. */
int ps_err_set(ps_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Rewrites err's message (when err is not NULL) for the user when it names an internal file
 * alias (a temporary file written in place of name): a message "ALIAS: ..." becomes
 * "NAME: ...", and ALIAS anywhere else reads "a temporary file". */
void ps_err_rename(ps_err *err, const char *alias, const char *name);

/* A short name for an error code ("bad input", "I/O error", ...). */
const char *ps_strerror(int code);

/* The exit statuses of the pairsweep command: one table for every subcommand, documented
 * once in README.md ("Exit status"). A subcommand returns one of these, never a literal. */
enum {
    PS_EXIT_OK = 0,      /* done: the command did all it was asked */
    PS_EXIT_FAILURE = 1, /* failure: I/O error, out of memory, a training that diverged, a
                            study that cannot complete */
    PS_EXIT_USAGE = 2,   /* bad usage or bad input: an option, a value or a file that is not
                            what was expected (one line on stderr names it); nothing written */
    PS_EXIT_STOPPED = 3, /* not finished: `run` stopped by a signal or its deadline, `status`
                            of a study with tasks missing; the same `run` command resumes */
};

/* The exit status for an error code: PS_EXIT_USAGE for bad input (PS_EINVAL, PS_EFORMAT,
 * PS_ESTATE), PS_EXIT_STOPPED for PS_EINTR, PS_EXIT_FAILURE for the others; PS_EXIT_OK for 0. */
int ps_exit_status(int code);

/* SHA-256 of a memory block as 64 lowercase hex characters plus NUL (hex must hold 65). */
void ps_sha256_hex(char hex[65], const void *data, size_t len);

/* SHA-256 of a whole regular file (path.h: anything else is refused, PS_EINVAL); returns 0, or
 * a negative code with err set. */
int ps_sha256_file(char hex[65], const char *path, ps_err *err);

/* Wall-clock seconds from a monotonic clock. */
double ps_now(void);

#endif
