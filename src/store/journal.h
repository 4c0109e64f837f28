/* pairsweep store — the journal of finished results (see store.c for why it exists).
 *
 * FILE.journal: a header ("PSJOURNAL1", the job's SHA-256) then records
 *   u32 magic "PSRJ" | u32 type | u64 payload length | payload | u32 CRC-32 (zlib) of payload
 * appended with one writev straight from the caller's buffers (no copy of the weights), and
 * made durable by ps__journal_sync (fdatasync), which the store calls once for a group of
 * records (see store.c). A record cut short by a crash, or lost with the page cache before its
 * sync, fails its length or CRC check and is dropped with everything after it: it was never
 * acknowledged as durable. */
#ifndef PAIRSWEEP_STORE_JOURNAL_H
#define PAIRSWEEP_STORE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pairsweep/store.h"

/* RESULT: a finished task (in a raced study it ends with its outcomes); SELECTION: a model's
 * chosen grid point; STOP: why the run ended before the study was complete (one line), written
 * when it stops (ps_store_mark_stopped); RACE: a /race row. */
enum { PS__J_RESULT = 1, PS__J_SELECTION = 2, PS__J_STOP = 3, PS__J_RACE = 4 };
#define PS__JOURNAL_HEADER 80

/* A decoded record; the arrays are malloc'ed (free with ps__jrec_free). */
typedef struct ps__jrec {
    int32_t type;
    ps_store_row row;          /* RESULT */
    int32_t epochs;
    float *curves[4];          /* (epochs) each: train_loss, train_acc, eval_loss, eval_acc */
    int32_t n_views;
    ps_state_view *views;      /* (n_views) */
    size_t n_state;
    float *state;              /* (n_state): inside payload when aligned, else its own */
    unsigned char *payload;    /* the record's bytes when state points into them */
    ps_store_selection sel;    /* SELECTION */
    char why[PS_STORE_STOPPED_MAX]; /* STOP */
    int32_t n_out;             /* RESULT of a raced study: its outcomes, else 0 */
    uint8_t *out;              /* (n_out) malloc'ed */
    ps_store_race_row race;    /* RACE */
} ps__jrec;

void ps__jrec_free(ps__jrec *r);

/* Creates (truncates) the journal with its header; *fd is open read-write. */
int ps__journal_create(int *fd, const char *path, const char *sha, ps_err *err);
/* Opens an existing journal; PS_ESTATE if its header names another job. *end receives the end
 * of the last valid record (a torn tail is truncated when the fd is writable). *hdr_ok is 0
 * when the header itself is torn (the caller recreates the journal). */
int ps__journal_open(int *fd, off_t *end, int *hdr_ok, const char *path, const char *sha,
                     int writable, ps_err *err);
/* Takes an exclusive lock on the journal (another writer → PS_ESTATE). */
int ps__journal_lock(int fd, const char *path, ps_err *err);
/* Appends a RESULT record (row, curves, state, outcomes) at *end and advances *end; NOT durable until
 * ps__journal_sync. On failure the journal is cut back to *end, so it stays valid. */
int ps__journal_add_result(int fd, off_t *end, const ps_store_row *row,
                           const ps_train_result *res, const char *path, ps_err *err);
/* Appends a SELECTION record, the same way (not durable until ps__journal_sync). */
int ps__journal_add_selection(int fd, off_t *end, const ps_store_selection *sel,
                              const char *path, ps_err *err);
/* Appends a STOP record (why: one line), the same way (not durable until ps__journal_sync). */
int ps__journal_add_stop(int fd, off_t *end, const char *why, const char *path, ps_err *err);
/* Appends a RACE record, the same way. */
int ps__journal_add_race(int fd, off_t *end, const ps_store_race_row *row, const char *path,
                         ps_err *err);
/* Makes every record appended so far durable (fdatasync). */
int ps__journal_sync(int fd, const char *path, ps_err *err);
/* Reads the record at *off (< end) and advances *off; returns 1 when a record was read, 0 at
 * the end or at an invalid record, negative on out-of-memory. */
int ps__journal_next(int fd, off_t *off, off_t end, ps__jrec *rec, int with_state);
/* Drops every record (after a checkpoint). */
int ps__journal_reset(int fd, off_t *end, const char *path, ps_err *err);

#endif
