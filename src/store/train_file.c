/* pairsweep store — one training run saved as a small HDF5 file (`pairsweep train --save`). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fsio.h"
#include "h5io.h"

/* The attribute of a hyper-parameter added after the first six (hparams.h), named as its
 * field, after those of the first six. */
#define ATTR_INT ps__attr_set_i32
#define ATTR_SWITCH ps__attr_set_i32
#define ATTR_NUM ps__attr_set_f64
#define ATTR(ID, field, key, kind, def, lo, lo_open, hi, label, help) \
    rc = rc ? rc : ATTR_##kind(f, #field, c->field, what, err);

static int write_run_attrs(hid_t f, const ps_train_config *c, const ps_train_result *r,
                           const char *what, ps_err *err)
{
    static const char *const evals[] = {"test", "kfold", "holdout"};
    static const char *const unit_of[] = {"wall_seconds"}, *const units[] = {"s"};
    int rc = ps__attr_set_i32(f, "format_version", PS_STORE_FORMAT, what, err);
    rc = rc ? rc : ps__attr_set_str(f, "pairsweep_version", PS_VERSION, what, err);
    rc = rc ? rc : ps__attr_set_str(f, "model", c->model, what, err);
    rc = rc ? rc : ps__attr_set_i32(f, "use_bn", c->use_bn, what, err);
    rc = rc ? rc : ps__attr_set_i32(f, "epochs", c->epochs, what, err);
    rc = rc ? rc : ps__attr_set_i32(f, "batch_size", c->batch_size, what, err);
    rc = rc ? rc : ps__attr_set_f64(f, "lr", c->lr, what, err);
    rc = rc ? rc : ps__attr_set_f64(f, "momentum", c->momentum, what, err);
    rc = rc ? rc : ps__attr_set_i32(f, "nesterov", c->nesterov, what, err);
    rc = rc ? rc : ps__attr_set_f64(f, "weight_decay", c->weight_decay, what, err);
    rc = rc ? rc : ps__attr_set_i32(f, "lr_step_epoch", c->lr_step_epoch, what, err);
    rc = rc ? rc : ps__attr_set_f64(f, "lr_step_gamma", c->lr_step_gamma, what, err);
    rc = rc ? rc : ps__attr_set_f64(f, "aux_weight", c->aux_weight, what, err);
    PS_HPARAMS_ADDED(ATTR)
    if (!rc) {
        char seed[32];
        snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
        rc = ps__attr_set_str(f, "seed", seed, what, err);
    }
    rc = rc ? rc : ps__attr_set_i32(f, "n_train", c->n_train, what, err);
    rc = rc ? rc : ps__attr_set_i32(f, "n_test", c->n_test, what, err);
    rc = rc ? rc : ps__attr_set_str(f, "eval", (unsigned)c->eval < 3 ? evals[c->eval] : "?",
                                    what, err);
    rc = rc ? rc : ps__attr_set_i32(f, "folds", c->folds, what, err);
    rc = rc ? rc : ps__attr_set_i32(f, "fold", c->fold, what, err);
    rc = rc ? rc : ps__attr_set_i32(f, "holdout", c->holdout, what, err);
    rc = rc ? rc : ps__attr_set_enum(f, "status", PS__F_STATUS, (int32_t)r->status, what, err);
    rc = rc ? rc : ps__attr_set_str(f, "reason", r->reason, what, err);
    rc = rc ? rc : ps__attr_set_f64(f, "wall_seconds", r->wall_seconds, what, err);
    rc = rc ? rc : ps__attr_set_units(f, 1, unit_of, units, what, err);
    return rc;
}

static int write_run_curves(hid_t f, const ps_train_result *r, const char *what, ps_err *err)
{
    const float *const cv[4] = {r->train_loss, r->train_acc, r->eval_loss, r->eval_acc};
    hid_t g = H5Gcreate2(f, "curves", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return ps_err_set(err, PS_EIO, "%s: cannot create /curves", what);
    int rc = 0;
    hsize_t n = (hsize_t)(r->epochs > 0 ? r->epochs : 0);
    for (int k = 0; k < 4 && !rc; k++) {
        if (n && !cv[k]) {
            rc = ps_err_set(err, PS_EINVAL, "%s: the result has no %s curve", what,
                            ps__curve_names[k]);
            break;
        }
        hid_t sp = H5Screate_simple(1, &n, NULL);
        hid_t d = H5Dcreate2(g, ps__curve_names[k], H5T_IEEE_F32LE, sp, H5P_DEFAULT,
                             H5P_DEFAULT, H5P_DEFAULT);
        if (d < 0 || (n && H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                    cv[k]) < 0))
            rc = ps_err_set(err, PS_EIO, "%s: cannot write /curves/%s", what,
                            ps__curve_names[k]);
        else
            rc = ps__attr_set_str(d, "units", ps__curve_units[k], what, err);
        if (d >= 0)
            H5Dclose(d);
        H5Sclose(sp);
    }
    H5Gclose(g);
    return rc;
}

int ps_store_write_run(const char *path, const ps_train_config *cfg, const ps_train_result *res,
                       ps_err *err)
{
    ps__h5_quiet();
    char *tmp = ps__path_with(path, ".tmp");
    if (!tmp)
        return ps_err_set(err, PS_ENOMEM, "%s: out of memory", path);
    /* Probe creation first so that a missing or read-only directory gets its own message. */
    int rc = ps__probe_create(tmp, err);
    if (rc) {
        ps_err_rename(err, tmp, path);
        free(tmp);
        return rc;
    }
    hid_t fapl = ps__fapl_mem();
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (f < 0)
        rc = ps_err_set(err, PS_EIO, "%s: cannot create an HDF5 file", tmp);
    rc = rc ? rc : write_run_attrs(f, cfg, res, path, err);
    rc = rc ? rc : write_run_curves(f, res, path, err);
    if (!rc)
        rc = ps__weights_write(f, "weights", res->views, res->n_views, res->state, res->n_state,
                               path, err);
    if (f >= 0 && rc)
        H5Fclose(f);
    else if (f >= 0)
        rc = ps__file_save(f, tmp, err);
    if (!rc)
        rc = ps__replace(tmp, path, err);
    if (rc) {
        unlink(tmp);
        ps_err_rename(err, tmp, path); /* the message names the user's path */
    }
    free(tmp);
    return rc;
}
