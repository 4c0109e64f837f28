#define _POSIX_C_SOURCE 200809L
#include "pairsweep/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int ps_err_set(ps_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void ps_err_rename(ps_err *err, const char *alias, const char *name)
{
    size_t na = strlen(alias);
    if (!err || !na)
        return;
    char out[sizeof err->msg];
    size_t n = 0;
    for (const char *p = err->msg; *p && n + 1 < sizeof out;) {
        if (strncmp(p, alias, na)) {
            out[n++] = *p++;
            continue;
        }
        const char *with = (p == err->msg && p[na] == ':') ? name : "a temporary file";
        n += (size_t)snprintf(out + n, sizeof out - n, "%s", with);
        p += na;
    }
    out[n < sizeof out ? n : sizeof out - 1] = '\0';
    memcpy(err->msg, out, sizeof out);
}

const char *ps_strerror(int code)
{
    switch (code) {
    case PS_OK: return "success";
    case PS_EINVAL: return "bad input";
    case PS_EIO: return "I/O error";
    case PS_ENOMEM: return "out of memory";
    case PS_EFORMAT: return "malformed file";
    case PS_ESTATE: return "wrong state";
    case PS_EDIVERGED: return "diverged";
    case PS_EINTR: return "interrupted";
    default: return "unknown error";
    }
}

int ps_exit_status(int code)
{
    switch (code) {
    case PS_OK: return PS_EXIT_OK;
    case PS_EINVAL:
    case PS_EFORMAT:
    case PS_ESTATE: return PS_EXIT_USAGE;
    case PS_EINTR: return PS_EXIT_STOPPED;
    default: return PS_EXIT_FAILURE;
    }
}

double ps_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
