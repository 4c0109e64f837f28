#define _POSIX_C_SOURCE 200809L
#include "pairsweep/common.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "pairsweep/path.h"

static void to_hex(char hex[65], const unsigned char *md)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
}

void ps_sha256_hex(char hex[65], const void *data, size_t len)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    to_hex(hex, md);
}

int ps_sha256_file(char hex[65], const char *path, ps_err *err)
{
    FILE *f = NULL;
    int rc = ps_path_fopen_read(&f, path, "a file to hash", err);
    if (rc)
        return rc;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx) {
        fclose(f);
        return ps_err_set(err, PS_ENOMEM, "%s: out of memory for SHA-256", path);
    }
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        EVP_DigestUpdate(ctx, buf, n);
    int bad = ferror(f);
    fclose(f);
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    if (bad)
        return ps_err_set(err, PS_EIO, "%s: read error", path);
    to_hex(hex, md);
    return 0;
}
