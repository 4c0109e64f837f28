/* pairsweep store — durable file operations (POSIX). */
#define _POSIX_C_SOURCE 200809L
#include "fsio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

char *ps__path_with(const char *path, const char *suffix)
{
    size_t a = strlen(path), b = strlen(suffix);
    char *s = malloc(a + b + 1);
    if (s) {
        memcpy(s, path, a);
        memcpy(s + a, suffix, b + 1);
    }
    return s;
}

void ps__scopy(char *dst, const char *src, size_t cap)
{
    size_t n = src ? strnlen(src, cap - 1) : 0;
    memset(dst, 0, cap);
    if (n)
        memcpy(dst, src, n);
}

int ps__writev_all(int fd, struct iovec *iov, int n)
{
    for (;;) {
        while (n > 0 && iov->iov_len == 0) { /* nothing to write there (a write of 0 is ENOSPC) */
            iov++;
            n--;
        }
        if (n == 0)
            break;
        ssize_t w = writev(fd, iov, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (w == 0)
            return ENOSPC;
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

int ps__write_all(int fd, const void *buf, size_t n)
{
    struct iovec v = {(void *)buf, n};
    return ps__writev_all(fd, &v, 1);
}

int ps__create_error(const char *path, int errnum, ps_err *err)
{
    char *tmp = strdup(path);
    const char *dir = tmp ? dirname(tmp) : ".";
    struct stat st;
    int rc;
    if (stat(dir, &st) != 0)
        rc = ps_err_set(err, PS_EIO, "%s: cannot create the file: directory %s does not exist",
                        path, dir);
    else if (!S_ISDIR(st.st_mode))
        rc = ps_err_set(err, PS_EIO, "%s: cannot create the file: %s is not a directory", path,
                        dir);
    else if (errnum == EACCES || errnum == EROFS || errnum == EPERM)
        rc = ps_err_set(err, PS_EIO, "%s: cannot create the file: directory %s is not writable "
                        "(%s)", path, dir, strerror(errnum));
    else if (errnum == ENOSPC || errnum == EFBIG || errnum == EDQUOT)
        rc = ps_err_set(err, PS_EIO, "%s: the disk is full or the file size limit is reached "
                        "(%s)", path, strerror(errnum));
    else
        rc = ps_err_set(err, PS_EIO, "%s: cannot create the file: %s", path, strerror(errnum));
    free(tmp);
    return rc;
}

int ps__fsync_path(const char *path, ps_err *err)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return ps_err_set(err, PS_EIO, "%s: %s", path, strerror(errno));
    int rc = fsync(fd) != 0 && errno != EINVAL && errno != EROFS ? errno : 0;
    close(fd);
    if (rc)
        return ps_err_set(err, PS_EIO, "%s: fsync failed: %s", path, strerror(rc));
    return 0;
}

int ps__replace(const char *src, const char *dst, ps_err *err)
{
    int rc = ps__fsync_path(src, err);
    if (rc)
        return rc;
    if (rename(src, dst) != 0)
        return ps_err_set(err, PS_EIO, "%s: cannot rename %s over it: %s", dst, src,
                          strerror(errno));
    char *tmp = strdup(dst);
    if (tmp) {
        int fd = open(dirname(tmp), O_RDONLY);
        if (fd >= 0) {
            fsync(fd); /* directory fsync: best effort (some filesystems refuse it) */
            close(fd);
        }
        free(tmp);
    }
    return 0;
}

int ps__copy_file(const char *src, const char *dst, ps_err *err)
{
    int in = open(src, O_RDONLY);
    if (in < 0)
        return ps_err_set(err, PS_EIO, "%s: %s", src, strerror(errno));
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) {
        int e = errno;
        close(in);
        return ps__create_error(dst, e, err);
    }
    enum { BUF = 1 << 20 };
    char *buf = malloc(BUF);
    int rc = buf ? 0 : ps_err_set(err, PS_ENOMEM, "%s: out of memory copying", src);
    while (!rc) {
        ssize_t r = read(in, buf, BUF);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = ps_err_set(err, PS_EIO, "%s: read failed: %s", src, strerror(errno));
            break;
        }
        if (r == 0)
            break;
        int e = ps__write_all(out, buf, (size_t)r);
        if (e)
            rc = e == ENOSPC || e == EFBIG || e == EDQUOT
                     ? ps_err_set(err, PS_EIO, "%s: the disk is full or the file size limit is "
                                  "reached (%s)", dst, strerror(e))
                     : ps_err_set(err, PS_EIO, "%s: write failed: %s", dst, strerror(e));
    }
    free(buf);
    close(in);
    if (close(out) != 0 && !rc)
        rc = ps_err_set(err, PS_EIO, "%s: close failed: %s", dst, strerror(errno));
    return rc;
}
