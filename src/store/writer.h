/* pairsweep store — the study writer's state, shared by its two halves: store.c (open,
 * append, sync, tables, close) and checkpoint.c (replaying the journal into a new FILE.h5).
 * store.c's opening comment explains the scheme. */
#ifndef PAIRSWEEP_STORE_WRITER_H
#define PAIRSWEEP_STORE_WRITER_H

#include <sys/types.h>

#include "pairsweep/idset.h"
#include "store_internal.h"

struct ps_store {
    char *path, *tmp, *jpath;
    char sha[65];
    int jfd;                  /* the journal, locked for writing */
    off_t jend;               /* end of its last valid record */
    int32_t jcount;           /* records since the last checkpoint */
    ps_store_row *rows;       /* (n_rows) every stored row: file and journal */
    int32_t n_rows, cap;
    ps_idset ix;              /* task id -> index into rows */
    int has_grid, has_models, has_plan;
    int created;              /* FILE.h5 was made by this open (not resumed) */
    double last_ckpt;         /* ps_now() of the last checkpoint */
    off_t file_bytes;         /* size of FILE.h5 at the last checkpoint */
    int32_t every_n;          /* test override: checkpoint every n records (0: automatic) */
    double every_s;
    /* group commit: the journal's records in [synced_end, jend) are not durable yet */
    off_t synced_end;
    int32_t synced_rows, synced_jcount;
    int32_t pending;          /* results appended since the last sync */
    double pending_since;     /* ps_now() of the first of them */
    int32_t gc_max;           /* a sync is due with this many pending ... */
    double gc_age;            /* ... or when the first is this many seconds old */
    ps_store_stats st;
    char stopped[PS_STORE_STOPPED_MAX]; /* ps_store_mark_stopped's text ("": none) */
};

/* Makes ix index rows[0, n) (task id -> row index), initialising it if needed. 0 or
 * PS_ENOMEM. */
int ps__index_rows(ps_idset *ix, const ps_store_row *rows, int32_t n);

/* Makes the journal's records durable (one fdatasync for all those appended since the last
 * sync). On failure the journal is cut back to its last durable record and the rows appended
 * since are forgotten: they were never acknowledged as stored. */
int ps__sync_journal(ps_store *s, ps_err *err);

/* An edit of the file's in-memory image during a checkpoint (NULL: none). */
typedef int (*ps__edit_fn)(hid_t fid, const void *ctx, const char *what, ps_err *err);

/* A checkpoint: the journal synced, FILE.h5 read into memory, edited, the journal replayed
 * into it, written to FILE.h5.tmp, fsync'ed and renamed over FILE.h5; then the journal is
 * emptied. On failure FILE.h5 and the journal are as they were. */
int ps__checkpoint(ps_store *s, ps__edit_fn edit, const void *ctx, ps_err *err);

/* A checkpoint when one is due (journal as large as the file, or old enough). */
int ps__maybe_checkpoint(ps_store *s, ps_err *err);

#endif
