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

#include "pairsweep/path.h"

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

int ps__write_error(const char *path, int errnum, ps_err *err)
{
    if (errnum == ENOSPC || errnum == EFBIG || errnum == EDQUOT)
        return ps_err_set(err, PS_EIO, "%s: the disk is full or the file size limit is reached "
                          "(%s)", path, strerror(errnum));
    return ps_err_set(err, PS_EIO, "%s: write failed: %s", path, strerror(errnum));
}

int ps__probe_create(const char *tmp, ps_err *err)
{
    int fd;
    unlink(tmp);
    int rc = ps_path_open(&fd, tmp, O_WRONLY | O_CREAT | O_EXCL, "a temporary file", err);
    if (!rc)
        close(fd);
    return rc;
}

int ps__fsync_path(const char *path, ps_err *err)
{
    int fd;
    int rc = ps_path_open_read(&fd, path, "a file just written", err);
    if (rc)
        return rc;
    rc = fsync(fd) != 0 && errno != EINVAL && errno != EROFS ? errno : 0;
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
        int fd = open(dirname(tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
            fsync(fd); /* directory fsync: best effort (some filesystems refuse it) */
            close(fd);
        }
        free(tmp);
    }
    return 0;
}
