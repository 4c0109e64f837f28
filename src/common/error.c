#define _POSIX_C_SOURCE 200809L
#include "pairsweep/common.h"

#include <stdarg.h>
#include <stdio.h>
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
    return (code == PS_EINVAL || code == PS_EFORMAT || code == PS_ESTATE) ? 2 : 1;
}

double ps_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
