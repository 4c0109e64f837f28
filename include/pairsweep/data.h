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

/* An idx3-ubyte image file read a few images at a time, so that a large file is never held
 * whole: open (reads and checks the header), read in order, finish (checks the file ends). */
typedef struct ps_idx_stream {
    void *gz;                  /* zlib's gzFile; NULL when closed */
    const char *path;          /* the caller's, for messages: must outlive the stream */
    int32_t n, rows, cols;     /* from the header */
    int32_t done;              /* images read so far */
} ps_idx_stream;

/* Opens path (raw or gzip, detected from its first bytes) and reads its header, with the
 * checks of ps_idx_read_images (magic, dimensions); n, rows and cols tell what it promises.
 * On error returns PS_EIO/PS_EFORMAT with a one-line message naming the file; s is then
 * closed (ps_idx_stream_close on it is harmless). */
int ps_idx_stream_open(ps_idx_stream *s, const char *path, ps_err *err);

/* Reads the next count images into dst (count, rows, cols); requires done + count ≤ n
 * (PS_EINVAL otherwise). A file that ends early or holds corrupt gzip data gives PS_EFORMAT
 * with the message ps_idx_read_images would give. The stream stays open either way. */
int ps_idx_stream_read(ps_idx_stream *s, uint8_t *dst, int32_t count, ps_err *err);

/* After all n images were read, checks that the file ends there (PS_EFORMAT on trailing data
 * or a bad gzip trailer; PS_EINVAL when images are left unread), and closes the stream. */
int ps_idx_stream_finish(ps_idx_stream *s, ps_err *err);

/* Closes the stream without checks (after an error); a closed stream may be closed again. */
void ps_idx_stream_close(ps_idx_stream *s);

/* 2×2 sum pooling of n images of rows×cols (both even) into n images of (rows/2, cols/2):
 * each output is the sum of four bytes, 0..1020, exactly 4× torch's avg_pool2d(kernel_size=2)
 * on the byte values (the pixel value is sum × 0.25f, exact in float). */
void ps_pool2x2_sum(uint16_t *dst, const uint8_t *src, int32_t n, int32_t rows, int32_t cols);

/* The pixel value (0..255, in steps of 0.25) of a 2×2 sum of bytes. */
static inline float ps_pool_pixel(uint16_t sum)
{
    return (float)sum * 0.25f;
}

/* A set of pooled 14×14 images and their labels, kept sparse: about three quarters of MNIST's
 * 2×2 sums are 0, so an image is a mask of its non-zero pixels and those sums in 10 bits
 * (about 96 bytes instead of 196 floats). The values are exact: ps_pooled_image gives the
 * dense sums back. */
typedef struct ps_pooled {
    int32_t n;                 /* images added */
    int32_t cap;               /* images there is room for */
    uint8_t *y;                /* (cap) labels 0..9 */
    uint16_t *mask;            /* (cap, 14) bit c of row r: the sum at (r, c) is not 0 */
    uint32_t *start;           /* (cap + 1) image i's sums are numbers start[i] .. start[i+1]-1 */
    uint8_t *lo;               /* (sum_cap) the low 8 bits of each non-zero sum, image by image,
                                  row by row */
    uint8_t *hi;               /* (sum_cap / 4) the 2 high bits of sum j: bits 2(j % 4) and up of
                                  byte j / 4 */
    size_t sum_cap;            /* room for sums in lo and hi, a multiple of 4 */
} ps_pooled;

/* Makes an empty set with room for cap ≥ 1 images. On error (PS_EINVAL, PS_ENOMEM) nothing is
 * allocated. */
int ps_pooled_init(ps_pooled *s, int32_t cap, ps_err *err);

/* Appends k images x (k, 14, 14) given as 2×2 sums 0..1020 and their labels y (k), 0..9;
 * requires n + k ≤ cap (PS_EINVAL otherwise, as for a value out of range). When the last
 * image of cap arrives the sum buffer is trimmed to what it holds. On error s is unchanged. */
int ps_pooled_add(ps_pooled *s, const uint16_t *x, const uint8_t *y, int32_t k, ps_err *err);

/* The dense 2×2 sums of image i (0 ≤ i < n) into dst (14, 14). */
void ps_pooled_image(uint16_t *dst, const ps_pooled *s, int32_t i);

/* The bytes s holds (its buffers at their current capacity). */
size_t ps_pooled_bytes(const ps_pooled *s);

void ps_pooled_free(ps_pooled *s);

/* MNIST, pooled to 14×14: the training and test sets, and what was read. The images become
 * float only in pairs. */
typedef struct ps_mnist {
    ps_pooled train;           /* 60000 images */
    ps_pooled test;            /* 10000 images */
    char dir[PS_PATH_MAX];     /* the directory the files were read from */
    char path[4][PS_PATH_MAX]; /* train images, train labels, test images, test labels */
    char sha256[4][65];        /* SHA-256 of each file as found on disk */
} ps_mnist;

/* The directory argument of ps_mnist_load that asks it to search the usual places. */
#define PS_MNIST_SEARCH ""

/* Loads MNIST from dir: for each of train-images-idx3-ubyte, train-labels-idx1-ubyte,
 * t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, the raw file or, failing that, NAME.gz.
 * The image files are streamed and pooled a block of images at a time (the raw 28×28 bytes of
 * a whole set are never held); the SHA-256 of each file is computed in blocks too. Checks
 * every idx rule of ps_idx_read_images/labels, 28×28 images, and that images and labels agree
 * in count. On error returns a negative PS_E* code with one line naming the file; nothing is
 * kept. A NULL or empty dir (PS_MNIST_SEARCH) searches, in order: data/mnist (relative to the
 * working directory), $XDG_DATA_HOME/pairsweep/mnist ($HOME/.local/share/pairsweep/mnist when
 * XDG_DATA_HOME is unset), the installation's share/pairsweep/mnist (see ps_data_share_path),
 * and takes the first that holds train-images-idx3-ubyte (or .gz); when none does, fails with
 * PS_EINVAL listing every place searched. m->dir is the directory used. */
int ps_mnist_load(ps_mnist *m, const char *dir, ps_err *err);
void ps_mnist_free(ps_mnist *m);

/* The reference SHA-256 of MNIST file i (0..3, in ps_mnist.path order), as kept in
 * scripts/mnist.sha256, and the file's base name. */
const char *ps_mnist_reference_sha256(int i);
const char *ps_mnist_file_name(int i);

/* The MNIST directory used when none is given: $PS_MNIST_DIR if set (and not empty), else
 * PS_MNIST_SEARCH (ps_mnist_load searches). */
const char *ps_mnist_default_dir(void);

/* The path of name (a file or folder: "mnist", "slurm/pairsweep-mpi.sbatch") in the
 * installation's data folder share/pairsweep, written into path: first the folder beside the
 * running program (<prefix>/bin/pairsweep looks in <prefix>/share/pairsweep, wherever the
 * prefix was moved), then the one configured at build time (CMAKE_INSTALL_PREFIX). Returns 0
 * when it exists there, else PS_EINVAL (path then holds the last place tried). */
int ps_data_share_path(char path[PS_PATH_MAX], const char *name);

/* A set of digit pairs: input (n, 2, 14, 14), target 1 when digit 1 ≤ digit 2. */
typedef struct ps_pairs {
    int32_t n;
    float *x;                  /* (n, 2, 14, 14) */
    int32_t *target;           /* (n) 0 or 1 */
    int32_t *classes;          /* (n, 2) digit of each channel */
} ps_pairs;

/* Makes n pairs from a pooled set of m = set->n images for a seed: a random permutation of
 * the m images, the first 2n images form n pairs (image 2i and 2i+1); the pairs' pixels are
 * ps_pool_pixel(sum). Requires 2n ≤ m. The same seed gives the same pairs. */
int ps_pairs_make(ps_pairs *out, const ps_pooled *set, int32_t n, uint64_t seed, ps_err *err);

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

/* The number of items in fold f (0 <= f < k) of ps_folds_make's split of n items: n / k, plus
 * one for the first n % k folds. Fold 0 is the largest (⌈n/k⌉), fold k − 1 the smallest. */
int32_t ps_fold_size(int32_t n, int32_t k, int32_t f);

#endif
