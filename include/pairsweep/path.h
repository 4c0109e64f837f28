/* pairsweep — what a path is, checked before it is opened or written.
 *
 * Every file the program reads (job files, MNIST idx files, results files) is first checked to
 * be a regular file, and every directory it is given (--mnist, report --out) a directory: a
 * FIFO, a device or a socket would block a read or stream forever, and a directory read as a
 * file fails with an obscure message. Every file it writes is first checked not to be a
 * directory or a special file, not to be one of its own inputs (the same file under another
 * spelling included: compared by device and inode, symbolic links followed), and not to exist
 * unless the caller was told to replace it. The messages are one line naming the path and
 * what was expected; their code is PS_EINVAL (bad input, exit status 2) but for operating-system
 * failures other than a missing or inaccessible path (PS_EIO). */
#ifndef PAIRSWEEP_PATH_H
#define PAIRSWEEP_PATH_H

#include <stdio.h>

#include "pairsweep/common.h"

enum {
    PS_PATH_FILE = 1,     /* a regular file (or a symbolic link to one) */
    PS_PATH_DIR = 2,      /* a directory (or a symbolic link to one) */
    PS_PATH_OPTIONAL = 4, /* a path that does not exist is accepted (checks return 1) */
    PS_PATH_REPLACE = 8,  /* outputs: an existing file may be replaced */
};

/* Checks that path is what kind asks for: PS_PATH_FILE or PS_PATH_DIR, optionally with
 * PS_PATH_OPTIONAL. what names the expected thing for the message ("the job file").
 * Returns 0, 1 when the path does not exist and PS_PATH_OPTIONAL allows that, or PS_EINVAL
 * ("PATH: is a FIFO (named pipe), not a regular file (expected the job file)", "PATH: does
 * not exist (expected the job file)") or PS_EIO, with err set. Nothing is opened. */
int ps_path_check(const char *path, int kind, const char *what, ps_err *err);

/* Opens path with open(2)'s flags (O_RDONLY, O_WRONLY or O_RDWR, with O_CREAT, O_EXCL and
 * O_TRUNC as needed; a file created gets mode 0644 less the umask) as a regular file named
 * what. An existing path is checked first with ps_path_check (PS_PATH_FILE; a special file is
 * refused without being opened); the open is non-blocking, so that a FIFO put in place after
 * the check cannot block it, and the descriptor opened is checked again with fstat (a regular
 * file, else closed and refused); then it is made blocking. With O_CREAT a file that cannot be
 * created gets a message saying why (a missing or read-only directory, a full disk; PS_EIO).
 * Returns 0 with *fd set (close-on-exec), or a negative code with err set (*fd untouched). */
int ps_path_open(int *fd, const char *path, int flags, const char *what, ps_err *err);

/* ps_path_open(fd, path, O_RDONLY, what, err). */
int ps_path_open_read(int *fd, const char *path, const char *what, ps_err *err);

/* ps_path_open as a stdio stream (binary; "rb" for O_RDONLY, else "wb": for writing, so
 * O_WRONLY | O_CREAT | O_TRUNC to replace a file): returns 0 with *f set, or a negative code
 * with err set (*f untouched). */
int ps_path_fopen(FILE **f, const char *path, int flags, const char *what, ps_err *err);

/* ps_path_fopen(f, path, O_RDONLY, what, err). */
int ps_path_fopen_read(FILE **f, const char *path, const char *what, ps_err *err);

/* Checks that path may be written as an output named what (a regular file written whole,
 * e.g. under a temporary name then renamed): it must not be a directory or a special file,
 * not be the same file as any of inputs[0..n_inputs) (device and inode, symbolic links
 * followed; inputs that do not exist are skipped), and not exist unless flags holds
 * PS_PATH_REPLACE (the message then says to pass replace_flag, e.g. "--force"). A path that
 * does not exist is fine when its directory exists and is writable. Returns 0, or PS_EINVAL
 * or PS_EIO with err set. */
int ps_path_check_output(const char *path, const char *const *inputs, int n_inputs, int flags,
                         const char *what, const char *replace_flag, ps_err *err);

/* Checks that dir may receive the files of an output named what: a directory, or a path that
 * does not exist in a writable directory (the caller creates it); an existing directory must
 * be empty unless flags
 * holds PS_PATH_REPLACE (the message then says to pass replace_flag). Returns 0 when dir
 * exists, 1 when it does not, or PS_EINVAL or PS_EIO with err set. */
int ps_path_check_output_dir(const char *dir, int flags, const char *what,
                             const char *replace_flag, ps_err *err);

#endif
