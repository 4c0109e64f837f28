/* pairsweep — what a path is, checked before it is opened or written (path.h). */
#define _POSIX_C_SOURCE 200809L
#include "pairsweep/path.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "a FIFO", "a directory", ... for a message. */
static const char *kind_name(mode_t m)
{
    if (S_ISREG(m))
        return "a regular file";
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO (named pipe)";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISSOCK(m))
        return "a socket";
    return "a special file";
}

/* The code and wording of a failed stat or open: a path that is missing or cannot be reached
 * is the user's input (PS_EINVAL); anything else is an I/O failure. */
static int path_error(const char *path, int e, const char *what, ps_err *err)
{
    if (e == ENOENT || e == ENOTDIR)
        return ps_err_set(err, PS_EINVAL, "%s: does not exist (expected %s)", path, what);
    int code = (e == EACCES || e == EPERM || e == ELOOP || e == ENAMETOOLONG) ? PS_EINVAL
                                                                             : PS_EIO;
    return ps_err_set(err, code, "%s: cannot be read: %s (expected %s)", path, strerror(e), what);
}

/* stat(path): 0 when it exists, 1 when it does not (ENOENT, ENOTDIR), else a code with err. */
static int look(const char *path, struct stat *st, const char *what, ps_err *err)
{
    if (stat(path, st) == 0)
        return 0;
    int e = errno;
    return (e == ENOENT || e == ENOTDIR) ? 1 : path_error(path, e, what, err);
}

/* 0 when st is the kind asked for (PS_PATH_FILE or PS_PATH_DIR), else PS_EINVAL with err. */
static int want_kind(const struct stat *st, int kind, const char *path, const char *what,
                     ps_err *err)
{
    int dir = (kind & PS_PATH_DIR) != 0;
    if (dir ? S_ISDIR(st->st_mode) : S_ISREG(st->st_mode))
        return 0;
    return ps_err_set(err, PS_EINVAL, "%s: is %s, not %s (expected %s)", path,
                      kind_name(st->st_mode), dir ? "a directory" : "a regular file", what);
}

int ps_path_check(const char *path, int kind, const char *what, ps_err *err)
{
    struct stat st;
    int rc = look(path, &st, what, err);
    if (rc == 1)
        return (kind & PS_PATH_OPTIONAL) ? 1 : path_error(path, ENOENT, what, err);
    return rc ? rc : want_kind(&st, kind, path, what, err);
}

/* Why a file could not be created at path: a missing or read-only directory, a full disk. */
static int create_error(const char *path, int e, ps_err *err)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    const char *dir = dirname(buf);
    struct stat st;
    if (stat(dir, &st) != 0)
        return ps_err_set(err, PS_EIO, "%s: cannot create the file: directory %s does not exist",
                          path, dir);
    if (!S_ISDIR(st.st_mode))
        return ps_err_set(err, PS_EIO, "%s: cannot create the file: %s is not a directory", path,
                          dir);
    if (e == EACCES || e == EROFS || e == EPERM)
        return ps_err_set(err, PS_EIO, "%s: cannot create the file: directory %s is not "
                          "writable (%s)", path, dir, strerror(e));
    if (e == ENOSPC || e == EFBIG || e == EDQUOT)
        return ps_err_set(err, PS_EIO, "%s: the disk is full or the file size limit is reached "
                          "(%s)", path, strerror(e));
    return ps_err_set(err, PS_EIO, "%s: cannot create the file: %s", path, strerror(e));
}

int ps_path_open(int *fd, const char *path, int flags, const char *what, ps_err *err)
{
    int create = (flags & O_CREAT) != 0;
    int rc = ps_path_check(path, PS_PATH_FILE | (create ? PS_PATH_OPTIONAL : 0), what, err);
    if (rc < 0)
        return rc;
    int f = open(path, flags | O_NONBLOCK | O_CLOEXEC, 0644);
    if (f < 0)
        return create ? create_error(path, errno, err) : path_error(path, errno, what, err);
    struct stat st;
    if (fstat(f, &st) != 0) {
        rc = path_error(path, errno, what, err);
    } else if (!(rc = want_kind(&st, PS_PATH_FILE, path, what, err))) {
        int fl = fcntl(f, F_GETFL);
        if (fl < 0 || fcntl(f, F_SETFL, fl & ~O_NONBLOCK) < 0)
            rc = path_error(path, errno, what, err);
    }
    if (rc) {
        close(f);
        return rc;
    }
    *fd = f;
    return 0;
}

int ps_path_open_read(int *fd, const char *path, const char *what, ps_err *err)
{
    return ps_path_open(fd, path, O_RDONLY, what, err);
}

int ps_path_fopen(FILE **f, const char *path, int flags, const char *what, ps_err *err)
{
    int fd = -1;
    int rc = ps_path_open(&fd, path, flags, what, err);
    if (rc)
        return rc;
    FILE *s = fdopen(fd, (flags & O_ACCMODE) == O_RDONLY ? "rb" : "wb");
    if (!s) {
        close(fd);
        return ps_err_set(err, PS_ENOMEM, "%s: out of memory for a stream", path);
    }
    *f = s;
    return 0;
}

int ps_path_fopen_read(FILE **f, const char *path, const char *what, ps_err *err)
{
    return ps_path_fopen(f, path, O_RDONLY, what, err);
}

/* The directory a missing output path would be created in must exist and be writable
 * (checked now, so that a long run does not fail at its end). */
static int check_parent(const char *path, const char *what, ps_err *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return 0; /* left to the writer */
    const char *dir = dirname(buf);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return ps_err_set(err, PS_EINVAL, "%s: cannot be created: directory %s does not exist "
                          "(%s)", path, dir, what);
    if (access(dir, W_OK | X_OK) != 0)
        return ps_err_set(err, PS_EINVAL, "%s: cannot be created: directory %s is not writable "
                          "(%s)", path, dir, strerror(errno));
    return 0;
}

int ps_path_check_output(const char *path, const char *const *inputs, int n_inputs, int flags,
                         const char *what, const char *replace_flag, ps_err *err)
{
    struct stat st, in;
    int rc = look(path, &st, what, err);
    if (rc)
        return rc == 1 ? check_parent(path, what, err) : rc;
    if ((rc = want_kind(&st, PS_PATH_FILE, path, what, err)))
        return rc;
    for (int i = 0; i < n_inputs; i++)
        if (inputs[i] && stat(inputs[i], &in) == 0 && in.st_dev == st.st_dev &&
            in.st_ino == st.st_ino)
            return ps_err_set(err, PS_EINVAL, "%s: is the input %s (the same file); %s must be "
                              "another file", path, inputs[i], what);
    if (!(flags & PS_PATH_REPLACE))
        return ps_err_set(err, PS_EINVAL, "%s: exists (%s); pass %s to replace it", path, what,
                          replace_flag);
    return 0;
}

int ps_path_check_output_dir(const char *dir, int flags, const char *what,
                             const char *replace_flag, ps_err *err)
{
    int rc = ps_path_check(dir, PS_PATH_DIR | PS_PATH_OPTIONAL, what, err);
    if (rc == 1) {
        int prc = check_parent(dir, what, err);
        return prc ? prc : 1;
    }
    if (rc || (flags & PS_PATH_REPLACE))
        return rc;
    DIR *d = opendir(dir);
    if (!d)
        return path_error(dir, errno, what, err);
    const struct dirent *e;
    int empty = 1;
    while (empty && (e = readdir(d)))
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(d);
    if (!empty)
        return ps_err_set(err, PS_EINVAL, "%s: is not empty (%s); pass %s to write into it, "
                          "replacing files of the same names", dir, what, replace_flag);
    return 0;
}
