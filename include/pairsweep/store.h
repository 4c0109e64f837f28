/* pairsweep — the results file (HDF5): one file per study, rank 0 the only writer.
 *
 * Layout (readable with h5dump, h5py and pandas without pairsweep; docs/results-format.md
 * lists every dataset, type, attribute and unit):
 *   /                     attributes: format_version (PS_STORE_FORMAT), job_text, job_sha256,
 *                         job_name, pairsweep_version, mnist_sha256 (4 lines), ranks, started,
 *                         finished ("" while running), complete (0/1), planned_tasks, stopped
 *                         (why the last run ended before the study was complete: "" when it
 *                         did not)
 *   /tasks                H5TB table, one row per finished task (ps_store_row fields); phase
 *                         and status are HDF5 enums (names from PS_PHASES, PS_TASK_STATUSES)
 *   /grid                 H5TB table, one row per (model, grid point) with its hyper-parameters
 *   /selection            H5TB table, one row per model: chosen grid point, CV mean and std
 *   /curves/train_loss, train_acc, eval_loss, eval_acc   float (rows × epochs), row i of
 *                         each belongs to row i of /tasks, whose id /curves/task_id (their
 *                         dimension scale) holds
 *   /weights/<task id>/<state_dict name>                 final state of each task; the group's
 *                         attributes name its task (task_id, model, grid, phase, fold, rep, seed)
 *   /models               H5TB table (Table I): model, arch, params, flops (ps_store_write_models)
 *   /plan                 H5TB table: every planned cell (ps_store_write_plan), for status
 *   /outcomes/<task id>   raced studies only: uint8 (validation pairs), 1 where the task's
 *                         last epoch classified the pair correctly (ps_train_result.outcomes)
 *   /race                 raced studies only: H5TB table, one row per grid point a race
 *                         dropped (ps_store_race_row); root attribute "racing" (the settings)
 * Every metric carries its unit: a `units` attribute on each curve, and on each table a
 * `units` attribute mapping its metric columns to theirs. Tables written once size their
 * strings from the data; tables that grow use the sizes of the C structs below, which hold
 * whatever the program holds. Files of format 1 (before format_version existed: integer
 * phase/status, no units, no /curves/task_id, untagged weights, arch cut at 160 bytes) are
 * read as they are, converted when a run resumes them, and ps_store_merge writes format
 * PS_STORE_FORMAT whatever its shards' (`pairsweep merge -o NEW.h5 OLD.h5` converts one).
 * A result is first appended to FILE.h5.journal (a CRC'd append-only log) and made durable
 * there by an fdatasync of the journal; it reaches FILE.h5 itself at the next checkpoint,
 * which replaces FILE.h5 atomically (see src/store/store.c for why). ps_store_add does both
 * steps for one result. A writer receiving many results uses group commit instead:
 * ps_store_append for each (written to the journal, not yet durable), then one ps_store_sync
 * for all of them (when no further result is waiting, or when ps_store_sync_due says the
 * oldest waiting one is PS_STORE_GROUP_AGE s old or PS_STORE_GROUP_MAX are waiting).
 *
 * The contract: a result is STORED once a ps_store_add, or a ps_store_sync (or checkpoint,
 * or close) after its ps_store_append, has returned 0; only then may the caller count it as
 * done or report it. A killed writer (SIGKILL, a crash of the process) leaves FILE.h5 whole
 * and every stored result in it or in its journal; results appended but not yet synced are
 * also kept by a killed process (the kernel holds its writes), but a crash of the machine
 * itself (power, kernel) may lose them, and they are then simply missing: a resumed study
 * runs those tasks again. A record torn by either is dropped by its CRC with everything after
 * it, so the journal always reads back as a prefix of what was appended. ps_results_read and
 * a resumed ps_store_open read both FILE.h5 and the journal. h5py/pandas users see results up
 * to the last checkpoint (at most ~30 s old while running; everything after ps_store_close). */
#ifndef PAIRSWEEP_STORE_H
#define PAIRSWEEP_STORE_H

#include <stdint.h>

#include "pairsweep/common.h"
#include "pairsweep/task.h"
#include "pairsweep/train.h"

/* The layout version this code writes (root attribute format_version); a file without the
 * attribute is format 1. */
#define PS_STORE_FORMAT 2

/* One row of /tasks. Fixed-length strings so that PyTables/pandas read it as a table. The
 * journal stores this struct as it is: changing it changes the journal's format too. */
typedef struct ps_store_row {
    char task_id[PS_TASK_ID_LEN + 1];
    int32_t phase;
    char model[PS_NAME_MAX];
    int32_t grid;
    int32_t fold;
    int32_t rep;
    uint64_t seed;
    int32_t status;            /* ps_task_status */
    char reason[128];
    int32_t rank;
    double wall_seconds;
    float train_loss;          /* final epoch */
    float train_acc;
    float eval_loss;           /* validation (select) or test (final) at the final epoch */
    float eval_acc;
    int32_t epochs;
} ps_store_row;

/* One row of /grid: a model's grid point and its hyper-parameters (hparams.h; every one is a
 * column named as its field), with the job's settings of training. The columns are in the
 * order of the fields. */
typedef struct ps_store_grid_row {
    char model[PS_NAME_MAX];
    int32_t grid;
    int32_t batch_size;
    float lr;
    float momentum;
    int32_t nesterov;
    float weight_decay;
    int32_t use_bn;
    float aux_weight;
    int32_t epochs;
    int32_t lr_step_epoch;
    float lr_step_gamma;
    PS_HPARAMS_ADDED(PS_HP_FIELD) /* hyper-parameters added after the first six */
} ps_store_grid_row;

/* Fills row (every byte) with the /grid row of grid point `grid` of cfg's model: its model,
 * grid, hyper-parameters, nesterov, epochs and schedule. */
void ps_store_grid_row_set(ps_store_grid_row *row, int32_t grid, const ps_train_config *cfg);

/* One row of /selection. */
typedef struct ps_store_selection {
    char model[PS_NAME_MAX];
    int32_t grid;              /* chosen grid point */
    float cv_mean, cv_std;     /* validation accuracy over folds */
    int32_t n_folds;
} ps_store_selection;

/* One row of /models (Table I): a model of the study, its architecture in one line and its
 * size. Written once by the sweep (ps_store_write_models). */
typedef struct ps_store_model_row {
    char model[PS_NAME_MAX];
    char arch[320];            /* one-line architecture, as `pairsweep models` prints it (the
                                  size of ps_model_info's, models.h) */
    int64_t params;            /* trainable parameter count */
    double flops;              /* FLOPs per training sample (forward + backward) */
} ps_store_model_row;

/* One row of /plan: a planned task (cell of the study). Written once by the sweep
 * (ps_store_write_plan) so that `pairsweep status` can account for every cell. A final-phase
 * task whose grid point is not chosen yet has grid -1 and an empty task_id; cells are matched
 * to /tasks rows by (phase, model, grid, fold, rep), grid -1 matching any grid point. */
typedef struct ps_store_plan_row {
    char task_id[PS_TASK_ID_LEN + 1];
    int32_t phase;
    char model[PS_NAME_MAX];
    int32_t grid;
    int32_t fold;
    int32_t rep;
} ps_store_plan_row;

/* One row of /race: a grid point dropped by a race, and why. */
typedef struct ps_store_race_row {
    char model[PS_NAME_MAX];   /* the dropped grid point */
    int32_t grid;
    int32_t round;             /* rounds complete at the decision ("dropped after round 2") */
    int32_t rounds;            /* rounds of a grid point */
    char leader_model[PS_NAME_MAX]; /* the leader it was compared with ("" when ineligible) */
    int32_t leader_grid;       /* -1 when ineligible */
    char test[16];             /* "mcnemar", "t-corrected", or "ineligible" (a diverged or
                                  failed task: dropped without a test) */
    double statistic;          /* mcnemar: pairs only the leader got right; t: the t */
    int32_t n;                 /* mcnemar: discordant pairs; t: rounds */
    double p, p_adjusted;      /* one-sided p and its Holm adjustment within the round */
    int32_t pruned;            /* the point's tasks never run */
} ps_store_race_row;

/* What the root attributes record besides the job. */
typedef struct ps_store_meta {
    const char *job_name;
    const char *job_text;      /* the job file's full text */
    const char *mnist_sha256[4];
    int32_t ranks;
    int32_t planned_tasks;
    const char *racing;        /* a raced study's settings ("test=mcnemar alpha=0.05
                                  min_folds=2 audit=0"), the root attribute "racing"; NULL:
                                  not raced, no attribute */
} ps_store_meta;

typedef struct ps_store ps_store;

/* Opens path for writing a study. A new file is created (through a temporary name, renamed
 * once its root is written). An existing file of the same job text (same SHA-256) is opened
 * to resume; one of an older format is converted to PS_STORE_FORMAT by the checkpoint that
 * opens it (its results, journal included, kept as they are). An existing file of another
 * job, of a newer format, or a file that is not a pairsweep file, is refused with PS_ESTATE
 * unless restart is non-zero, in which case it is replaced. */
int ps_store_open(ps_store **out, const char *path, const ps_store_meta *meta, int restart,
                  ps_err *err);

/* Writes the grid table (idempotent: a resumed file keeps its own). */
int ps_store_write_grid(ps_store *s, const ps_store_grid_row *rows, int32_t n, ps_err *err);

/* Writes the /models table (Table I: architecture and parameter count per model), once: a
 * resumed file keeps its own. */
int ps_store_write_models(ps_store *s, const ps_store_model_row *rows, int32_t n, ps_err *err);

/* Writes the /plan table (every planned task, see ps_store_plan_row), once: a resumed file
 * keeps its own. */
int ps_store_write_plan(ps_store *s, const ps_store_plan_row *rows, int32_t n, ps_err *err);

/* The rows already stored (for resume): *rows is malloc'ed, caller frees. */
int ps_store_rows(const ps_store *s, ps_store_row **rows, int32_t *n, ps_err *err);

/* Appends one finished task: its row, its curves, its outcomes (when res has them: a raced
 * selection or audit task) and (when status is DONE) its weights, and
 * makes it durable (ps_store_append then ps_store_sync). A task id already present is refused
 * with PS_ESTATE. */
int ps_store_add(ps_store *s, const ps_task *task, const ps_train_result *res, int32_t rank,
                 ps_err *err);

/* Group commit (see the top of this file). ps_store_append appends one finished task to the
 * journal as ps_store_add does but does not make it durable: it is not stored until the next
 * ps_store_sync (or checkpoint, or close) returns 0. The caller keeps res until the call
 * returns only (the record is written before it returns). A task id already present
 * (appended or stored) is refused with PS_ESTATE. */
int ps_store_append(ps_store *s, const ps_task *task, const ps_train_result *res, int32_t rank,
                    ps_err *err);

/* A race's decision: appends a /race row to the journal as ps_store_append does (durable
 * with the next ps_store_sync). A row of a grid point /race already holds is not added twice
 * (at the checkpoint). */
int ps_store_append_race(ps_store *s, const ps_store_race_row *row, ps_err *err);

/* Makes every result appended so far durable with one fdatasync of the journal, then
 * checkpoints when one is due; returns at once when nothing is pending. On a failed sync the
 * results appended since the previous sync are dropped (the journal is cut back to its last
 * durable record, err says how many): they were never stored and run again on resume. */
int ps_store_sync(ps_store *s, ps_err *err);

/* Results appended and not yet synced. */
int32_t ps_store_pending(const ps_store *s);

/* 1 when a sync is due by the group-commit limits: ps_store_set_group_commit's max_pending
 * results waiting, or the first of them appended max_age seconds ago. */
int ps_store_sync_due(const ps_store *s);

#define PS_STORE_GROUP_MAX 64      /* default: results waiting before a sync is due */
#define PS_STORE_GROUP_AGE 0.05    /* default: seconds the first waiting result may wait */

/* Sets the group-commit limits (max_pending <= 0, max_age < 0: the defaults above). */
void ps_store_set_group_commit(ps_store *s, int32_t max_pending, double max_age);

/* What the writer did since ps_store_open (for benchmarks and profiles). */
typedef struct ps_store_stats {
    int64_t results;                  /* results appended */
    int64_t bytes;                    /* journal bytes of those results */
    int64_t syncs;                    /* journal syncs (fdatasync) */
    int64_t checkpoints;
    double append_seconds;            /* wall time writing journal records */
    double sync_seconds;              /* wall time in the journal's fdatasync */
    double checkpoint_read_seconds;   /* checkpoints: reading FILE.h5 into memory */
    double checkpoint_replay_seconds; /* ... adding the journal's records with HDF5 */
    double checkpoint_write_seconds;  /* ... writing, fsync'ing and renaming the new file */
} ps_store_stats;

void ps_store_get_stats(const ps_store *s, ps_store_stats *out);

/* Records (or replaces) a model's selection. */
int ps_store_set_selection(ps_store *s, const ps_store_selection *sel, ps_err *err);

#define PS_STORE_STOPPED_MAX 192 /* bytes of the `stopped` text, its NUL included */

/* Records why this run ends before the study is complete (why: one line, e.g. "stopped by a
 * signal"): a STOP record is appended to the journal and made durable at once, so that
 * readers (ps_results_read: `stopped`) see it even if the process is killed before
 * ps_store_close, which then writes it to the root attribute `stopped` (a resumed run clears
 * it). Returns 0, or a negative code with err set (nothing stored before is affected). */
int ps_store_mark_stopped(ps_store *s, const char *why, ps_err *err);

/* Closes the file; complete says whether every planned task is stored (sets the "complete"
 * and "finished" attributes, and "stopped": ps_store_mark_stopped's text, else ""). */
int ps_store_close(ps_store *s, int complete, ps_err *err);

/* For a start that failed before any task ran: when this open created FILE.h5 (not a resumed
 * file) and no result was stored, deletes FILE.h5 and its journal, frees s and returns 1, so
 * that a failed start leaves no results file behind. Otherwise (a resumed file, results
 * stored, s NULL) returns 0 and does nothing: s is still open, for ps_store_close. */
int ps_store_discard(ps_store *s);

/* Makes FILE.h5 itself hold every result added so far (results are always safe in its
 * journal FILE.h5.journal first; checkpoints also happen on their own, see src/store/store.c),
 * e.g. before a long pause, so that h5py readers see them. */
int ps_store_checkpoint(ps_store *s, ps_err *err);

/* Tests and tools: checkpoint after every `every_n` results and/or every `every_seconds`
 * (0, 0: the automatic policy). */
void ps_store_set_checkpoint(ps_store *s, int32_t every_n, double every_seconds);

/* The outcomes of one task in a ps_results (ps_results_outcomes finds them). */
typedef struct ps_store_outcomes {
    char task_id[PS_TASK_ID_LEN + 1];
    int32_t n;
    int64_t offset;            /* into ps_results.outcome_bytes */
} ps_store_outcomes;

/* Read side, for report/merge/status: a whole file read into memory. */
typedef struct ps_results {
    int32_t format_version;    /* of the file read (1: written before the attribute existed) */
    char job_name[256];
    char job_sha256[65];
    char *job_text;
    int32_t complete;
    int32_t planned_tasks;
    int32_t n_rows, n_grid, n_sel, epochs_max;
    ps_store_row *rows;
    ps_store_grid_row *grid;
    ps_store_selection *sel;
    float *train_loss, *train_acc, *eval_loss, *eval_acc; /* (n_rows, epochs_max) */
    int32_t n_models, n_plan;
    ps_store_model_row *models;   /* (n_models) /models, when the sweep wrote it */
    ps_store_plan_row *plan;      /* (n_plan) /plan, when the sweep wrote it */
    int32_t ranks;
    char started[32], finished[32];
    char pairsweep_version[32];
    char stopped[PS_STORE_STOPPED_MAX]; /* why the last run ended before the study was
                                    complete ("": it did not, or the writer was killed) */
    int32_t n_journal;            /* rows that came from FILE.h5.journal (a running or killed
                                     writer's results not yet checkpointed) */
    char racing[128];             /* the "racing" attribute; "" when the study is not raced */
    int32_t n_race;
    ps_store_race_row *race;      /* (n_race) /race */
    int32_t n_outcomes;
    ps_store_outcomes *outcomes;  /* (n_outcomes) /outcomes, sorted by task id */
    uint8_t *outcome_bytes;       /* every task's outcomes, one after the other */
} ps_results;

/* The outcomes of task id in r: 0 with *x (n bytes) pointing into r, or -1 when r has none. */
int ps_results_outcomes(const ps_results *r, const char *id, const uint8_t **x, int32_t *n);

/* Adds to dst the outcomes of src's tasks dst has none of (joining the files of one study).
 * 0 or PS_ENOMEM. */
int ps_results_join_outcomes(ps_results *dst, const ps_results *src);

/* Reads a results file; a file that is not HDF5 or not a pairsweep file is PS_EFORMAT with a
 * message saying so. */
int ps_results_read(ps_results *out, const char *path, ps_err *err);

/* ps_results_read without its guard against libhdf5 crashing on a damaged file (the file is
 * first read in a child process there): for files this process itself just wrote, and for
 * MPI processes, which should not fork. */
int ps_results_read_trusted(ps_results *out, const char *path, ps_err *err);
void ps_results_free(ps_results *r);

/* Joins the shard files of one study into out (written under a temporary name, then renamed):
 * every shard must have the same job_sha256 (else PS_ESTATE naming the odd one); rows are
 * deduplicated by task id (first shard wins), with their curves and weights; selections and
 * the grid/models/plan tables come from the first shard that has them. complete is set when
 * every planned task is present. out is written in format PS_STORE_FORMAT whatever the shards'
 * (a shard of a newer format is refused with PS_EFORMAT), so merging one file converts it.
 * *n_rows receives the merged row count (may be NULL). */
int ps_store_merge(const char *out, const char *const *shards, int n_shards, int32_t *n_rows,
                   ps_err *err);

/* Saves one training run (`pairsweep train --save FILE`) as a small HDF5 file: root
 * attributes with the config's fields (model, seed, epochs, lr, ...), /curves/train_loss,
 * train_acc, eval_loss, eval_acc (epochs), and /weights/<state_dict name> for every view,
 * with its shape. Overwrites path (written under a temporary name, then renamed). */
int ps_store_write_run(const char *path, const ps_train_config *cfg, const ps_train_result *res,
                       ps_err *err);

#endif
