/* pairsweep — the hyper-parameters of a model's grid, declared once.
 *
 * PS_HPARAMS below is the one list of them. Generated from it: the grid axes (ps_axis) and a
 * job's grid keys with their ranges and messages (src/sweep/job.c), the defaults and checks of
 * ps_train_config (src/train/train.c), ps_job_config, the /grid row of a config
 * (ps_store_grid_row_set), the report's hyper-parameter cells, `pairsweep train`'s options, and
 * for a hyper-parameter added after the first six also its fields, /grid column, task-id line
 * and `--save` attribute. tests/test_hparams.c walks the list and checks docs/job-format.md's
 * grid table against it.
 *
 * The order of the list is the order of the grid axes, which numbers grid points (the last axis
 * varies fastest, as itertools.product): append, never reorder. */
#ifndef PAIRSWEEP_HPARAMS_H
#define PAIRSWEEP_HPARAMS_H

#include <stddef.h>
#include <stdint.h>

/* How a hyper-parameter is written, checked and stored. */
typedef enum ps_hp_kind {
    PS_HP_INT,     /* an integer in lo..hi; an int32_t field */
    PS_HP_NUM,     /* a finite number in [lo, hi], or (lo, hi] when lo_open; a float field */
    PS_HP_SWITCH,  /* on or off (true or false in a job): 1 or 0, -1 for "the model's default";
                      an int32_t field */
} ps_hp_kind;

/* The C type of a kind's fields (PS_HP_CTYPE_##kind). */
#define PS_HP_CTYPE_INT int32_t
#define PS_HP_CTYPE_NUM float
#define PS_HP_CTYPE_SWITCH int32_t

/* X(ID, field, key, kind, def, lo, lo_open, hi, label, help), one line per hyper-parameter:
 *   ID       its axis is PS_AXIS_<ID>
 *   field    its member of ps_train_config and of ps_store_grid_row (also its /grid column)
 *   key      its grid key in a job file; `pairsweep train --KEY` with '_' written '-'
 *   kind     INT, NUM or SWITCH (ps_hp_kind)
 *   def      the value when a job or `pairsweep train` does not give one
 *   lo, lo_open, hi   the values a job and `pairsweep train` accept (SWITCH: 0, 0, 1);
 *            ps_train_run only asks for lo (and a finite number): hi bounds a study
 *   label    its name in the report ("batch 100, lr 0.01, ...")
 *   help     its line of `pairsweep train --help`
 *
 * The first six (PS_HPARAMS_FIXED) have a fixed place in task ids (pairsweep-task/1), in the
 * /grid table and in `pairsweep train --save` files: their fields, columns and lines are written
 * out in train.h, store.h, src/store/h5io.c, src/sweep/plan.c and src/store/run.c. A
 * hyper-parameter added later goes to PS_HPARAMS_ADDED: its config and /grid row fields, its
 * /grid column and --save attribute (appended), and its task-id line (appended, and only when
 * it is not at its default, so that every earlier task keeps its id) are generated. (With the
 * first one, results files written before it have one /grid column less, which the reader
 * ps__table_read in src/store/h5io.c refuses as it stands: teach it the older layout then.) */
#define PS_HPARAMS_FIXED(X)                                                                     \
    X(BATCH, batch_size, "batch_size", INT, 100, 1, 0, 1000000, "batch", "mini-batch size")     \
    X(LR, lr, "lr", NUM, 0.01, 0, 1, 10, "lr", "learning rate")                                 \
    X(MOMENTUM, momentum, "momentum", NUM, 0.9, 0, 0, 0.999, "momentum",                        \
      "SGD momentum (0: plain SGD)")                                                            \
    X(BN, use_bn, "bn", SWITCH, -1, 0, 0, 1, "BN", "BatchNorm, where the model can switch it")  \
    X(AUX, aux_weight, "aux_weight", NUM, 1, 0, 0, 100, "aux w",                                \
      "weight w of the digit losses: target + w (d1 + d2)")                                     \
    X(WD, weight_decay, "weight_decay", NUM, 0, 0, 0, 1, "weight decay", "L2 weight decay")
/* Say, X(SMOOTH, label_smoothing, "label_smoothing", NUM, 0, 0, 0, 0.5, "smoothing",
 *        "label smoothing of the target loss") */
#define PS_HPARAMS_ADDED(X)
#define PS_HPARAMS(X) PS_HPARAMS_FIXED(X) PS_HPARAMS_ADDED(X)

/* A struct member for hyper-parameter X(...): PS_HPARAMS_ADDED(PS_HP_FIELD) in a struct. */
#define PS_HP_FIELD(ID, field, key, kind, def, lo, lo_open, hi, label, help) \
    PS_HP_CTYPE_##kind field;

#define PS__HP_AXIS(ID, field, key, kind, def, lo, lo_open, hi, label, help) PS_AXIS_##ID,
#define PS__HP_ONE(ID, field, key, kind, def, lo, lo_open, hi, label, help) +1

/* The grid keys of a model, in the order that defines grid point indices: the point index is
 * the mixed-radix number of the value indices, the last key varying fastest (as Python's
 * itertools.product over the keys in this order). */
typedef enum ps_axis {
    PS_HPARAMS(PS__HP_AXIS)
    PS_N_AXES
} ps_axis;

/* The number of hyper-parameters with a fixed place in task ids and files (6). */
#define PS_N_AXES_FIXED (0 PS_HPARAMS_FIXED(PS__HP_ONE))

/* One hyper-parameter, as declared in PS_HPARAMS. */
typedef struct ps_hparam {
    const char *key;           /* grid key of a job file */
    const char *field;         /* member of ps_train_config and of ps_store_grid_row */
    ps_hp_kind kind;
    double def;                /* default */
    double lo, hi;             /* range of a job and of `pairsweep train` */
    int lo_open;               /* 1: lo itself is out of the range */
    const char *label;         /* name in the report */
    const char *help;          /* `pairsweep train --help` */
} ps_hparam;

struct ps_train_config;

/* The declaration of hyper-parameter a (0 <= a < PS_N_AXES); NULL for any other a. */
const ps_hparam *ps_hparam_info(ps_axis a);

/* The name of a grid key as written in job files ("batch_size", ...); "?" for a bad a. */
const char *ps_axis_name(ps_axis a);

/* The axis of a grid key, or -1 when key names none. */
int ps_hparam_find(const char *key);

/* The value of hyper-parameter a in cfg, as a double (exact for every kind). */
double ps_hparam_get(const struct ps_train_config *cfg, ps_axis a);

/* Sets hyper-parameter a of cfg to v, converted to its field's type (float or int32_t). */
void ps_hparam_set(struct ps_train_config *cfg, ps_axis a, double v);

/* 1 when v is a value a job may give to a (an integer of the range for INT, a finite number of
 * the range for NUM, 0 or 1 for SWITCH), else 0. */
int ps_hparam_in_range(ps_axis a, double v);

/* The range of a as text: "1..1000000" (INT), "(0, 10]" or "[0, 0.999]" (NUM), "0 or 1"
 * (SWITCH). Returns what snprintf returns. */
int ps_hparam_range(char *buf, size_t cap, ps_axis a);

/* Appends to buf (cap bytes) the task-id lines "KEY=VALUE\n" of the hyper-parameters added
 * after pairsweep-task/1 whose value in cfg is not their default (nothing today). Returns the
 * length written, or -1 when it does not fit. */
int ps_hparams_task_text(char *buf, size_t cap, const struct ps_train_config *cfg);

#endif
