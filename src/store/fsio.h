/* pairsweep store — durable file operations (POSIX): writes, fsync, atomic replace. */
#ifndef PAIRSWEEP_STORE_FSIO_H
#define PAIRSWEEP_STORE_FSIO_H

#include <stddef.h>

#include "pairsweep/common.h"

/* Creates the temporary file tmp anew (whatever was there removed first; O_EXCL, so never a
 * FIFO or a link left there), empty, so that a file that cannot be created (a missing or
 * read-only directory) is reported before any work. 0 or PS_EIO with err. */
int ps__probe_create(const char *tmp, ps_err *err);
/* Makes path's content durable (fsync). */
int ps__fsync_path(const char *path, ps_err *err);
/* Atomically replaces dst by src (fsync src, rename, fsync the directory). */
int ps__replace(const char *src, const char *dst, ps_err *err);
/* The message of a failed write of path (errno errnum): a full disk, or the error. */
int ps__write_error(const char *path, int errnum, ps_err *err);
/* Writes all n bytes at the current position; returns 0 or errno (ENOSPC for a write of 0). */
int ps__write_all(int fd, const void *buf, size_t n);
/* The same for all of iov[0..n) in order (iov is consumed: advanced past what was written). */
struct iovec;
int ps__writev_all(int fd, struct iovec *iov, int n);
/* Copies the string src into dst of cap bytes, truncating, always NUL-terminated and with
 * the rest of dst zeroed. */
void ps__scopy(char *dst, const char *src, size_t cap);
/* malloc'ed "<path><suffix>". */
char *ps__path_with(const char *path, const char *suffix);

#endif
