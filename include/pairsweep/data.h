/* pairsweep — MNIST idx files (raw or gzip), 14×14 pooling, digit pairs, normalisation and
 * k-fold splits, as in the reports' data protocol (EE-559's generate_pair_sets). */
#ifndef PAIRSWEEP_DATA_H
#define PAIRSWEEP_DATA_H

#include <stdint.h>
#include <stddef.h>

#include "pairsweep/common.h"

#define PS_IMG 14              /* side of a pooled image */
#define PS_IMG_PIXELS (PS_IMG * PS_IMG)
#define PS_PATH_MAX 1024

/* One idx file pair read into memory: images (n, rows, cols) and labels (n). */
typedef struct ps_idx_images {
    int32_t n, rows, cols;
    uint8_t *pixels;           /* (n, rows, cols) */
} ps_idx_images;

typedef struct ps_idx_labels {
    int32_t n;
    uint8_t *labels;           /* (n), each 0..9 */
} ps_idx_labels;

/* Reads an idx3-ubyte image file, raw or gzip (detected from its first bytes, not its name).
 * Checks the magic number (0x00000803), the dimensions (> 0, ≤ 1024) and that the file holds
 * exactly n×rows×cols bytes after the header. On error returns PS_EIO/PS_EFORMAT with a
 * one-line message naming the file; *out is untouched. */
int ps_idx_read_images(ps_idx_images *out, const char *path, ps_err *err);

/* Reads an idx1-ubyte label file (magic 0x00000801), raw or gzip; every label must be 0..9. */
int ps_idx_read_labels(ps_idx_labels *out, const char *path, ps_err *err);

void ps_idx_images_free(ps_idx_images *img);
void ps_idx_labels_free(ps_idx_labels *lab);

/* 2×2 average pooling of n images of rows×cols (both even) into n images of (rows/2, cols/2),
 * as float pixel values 0..255 (torch's avg_pool2d(kernel_size=2) on the byte values). */
void ps_pool2x2(float *dst, const uint8_t *src, int32_t n, int32_t rows, int32_t cols);

/* MNIST, pooled to 14×14: the training and test sets, and what was read. */
typedef struct ps_mnist {
    int32_t n_train, n_test;
    float *train_x;            /* (n_train, 14, 14), 0..255 */
    uint8_t *train_y;          /* (n_train) */
    float *test_x;             /* (n_test, 14, 14) */
    uint8_t *test_y;           /* (n_test) */
    char path[4][PS_PATH_MAX]; /* train images, train labels, test images, test labels */
    char sha256[4][65];        /* SHA-256 of each file as found on disk */
} ps_mnist;

/* Loads MNIST from dir: for each of train-images-idx3-ubyte, train-labels-idx1-ubyte,
 * t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, the raw file or, failing that, NAME.gz.
 * Checks that images and labels agree in count. On error nothing is kept. */
int ps_mnist_load(ps_mnist *m, const char *dir, ps_err *err);
void ps_mnist_free(ps_mnist *m);

/* The reference SHA-256 of MNIST file i (0..3, in ps_mnist.path order), as kept in
 * scripts/mnist.sha256, and the file's base name. */
const char *ps_mnist_reference_sha256(int i);
const char *ps_mnist_file_name(int i);

/* The MNIST directory used when none is given: $PS_MNIST_DIR if set, else "data/mnist". */
const char *ps_mnist_default_dir(void);

/* A set of digit pairs: input (n, 2, 14, 14), target 1 when digit 1 ≤ digit 2. */
typedef struct ps_pairs {
    int32_t n;
    float *x;                  /* (n, 2, 14, 14) */
    int32_t *target;           /* (n) 0 or 1 */
    int32_t *classes;          /* (n, 2) digit of each channel */
} ps_pairs;

/* Makes n pairs from a pooled set of m images (x (m, 14, 14), y (m)) for a seed: a random
 * permutation of the m images, the first 2n images form n pairs (image 2i and 2i+1).
 * Requires 2n ≤ m. The same seed gives the same pairs. */
int ps_pairs_make(ps_pairs *out, const float *x, const uint8_t *y, int32_t m, int32_t n,
                  uint64_t seed, ps_err *err);

/* The reports' data: n_train pairs from MNIST's training set and n_test pairs from its test
 * set, both from seed (through different derived streams). */
int ps_pairs_make_train_test(ps_pairs *train, ps_pairs *test, const ps_mnist *m,
                             int32_t n_train, int32_t n_test, uint64_t seed, ps_err *err);

/* A copy of the pairs idx[0..n) of src. */
int ps_pairs_subset(ps_pairs *out, const ps_pairs *src, const int32_t *idx, int32_t n,
                    ps_err *err);

void ps_pairs_free(ps_pairs *p);

/* Mean and standard deviation (population, over every pixel of every pair) of p. */
void ps_pairs_stats(const ps_pairs *p, float *mean, float *std);

/* x := (x - mean) / std for every pixel of p. */
void ps_pairs_normalize(ps_pairs *p, float mean, float std);

/* k-fold split of n items for a seed: fold[i] in [0, k) for every i; the folds are disjoint,
 * cover every item and differ in size by at most one. Requires 2 ≤ k ≤ n. */
int ps_folds_make(int32_t *fold, int32_t n, int32_t k, uint64_t seed, ps_err *err);

#endif
