/* tls.c — TLS sessions over memory BIOs; see tls.h. Thread: the owning
 * shard (each builds its own context). */
#include "ringkv/net/tls.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/log.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

/* The context is OpenSSL's own, which counts its references (every SSL
 * made from it holds one). */
static SSL_CTX *ssl_ctx(struct tls_context *c) { return (SSL_CTX *)c; }

struct tls_session {
    SSL *ssl;
    BIO *in, *out; /* what the peer sent, what goes to it */
    bool failed;
};

enum { PROTO_TLSv1 = 1, PROTO_TLSv1_1 = 2, PROTO_TLSv1_2 = 4, PROTO_TLSv1_3 = 8 };

/* tls-protocols as Redis reads it: space-separated names, any case; the
 * default is TLSv1.2 and TLSv1.3. -1 when a name is unknown. */
static int parse_protocols(const char *spec)
{
    if (!spec) return PROTO_TLSv1_2 | PROTO_TLSv1_3;
    static const struct { const char *name; int bit; } names[] = {
        {"tlsv1", PROTO_TLSv1}, {"tlsv1.1", PROTO_TLSv1_1}, {"tlsv1.2", PROTO_TLSv1_2}, {"tlsv1.3", PROTO_TLSv1_3}};
    int protocols = 0;
    char word[32];
    for (const char *p = spec; *p;) {
        while (*p == ' ') p++;
        size_t n = strcspn(p, " ");
        if (n == 0) break;
        int bit = 0;
        if (n < sizeof word) {
            memcpy(word, p, n);
            word[n] = '\0';
            for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (strcasecmp(word, names[i].name) == 0) bit = names[i].bit;
        }
        if (!bit) {
            log_warn("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.");
            return -1;
        }
        protocols |= bit;
        p += n;
    }
    return protocols;
}

static void log_ssl_error(const char *what, const char *file)
{
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    if (file) log_warn("%s: %s: %s", what, file, buf);
    else log_warn("%s: %s", what, buf);
}

static int password_cb(char *buf, int size, int rwflag, void *pass)
{
    (void)rwflag;
    if (!pass || size <= 0) return -1;
    size_t len = strlen(pass);
    if (len > (size_t)size) len = (size_t)size;
    memcpy(buf, pass, len);
    return (int)len;
}

static bool load_dh_params(SSL_CTX *ctx, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        log_warn("Failed to load %s: %s", path, strerror(errno));
        return false;
    }
    EVP_PKEY *pkey = NULL;
    OSSL_DECODER_CTX *dctx =
        OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", NULL, "DH", OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS, NULL, NULL);
    bool ok = dctx && OSSL_DECODER_from_fp(dctx, f);
    OSSL_DECODER_CTX_free(dctx);
    fclose(f);
    if (!ok) {
        log_warn("%s: failed to read DH params.", path);
        EVP_PKEY_free(pkey);
        return false;
    }
    if (SSL_CTX_set0_tmp_dh_pkey(ctx, pkey) <= 0) { /* on success OpenSSL owns pkey */
        log_ssl_error("Failed to load DH params file", path);
        EVP_PKEY_free(pkey);
        return false;
    }
    return true;
}

/* One set of session-ticket keys for every shard's context, made once per
 * process: a client resumes its session whichever shard accepts it (each
 * shard's own random keys would make every resumption on another shard a
 * full handshake). */
static unsigned char ticket_keys[80];
static bool ticket_keys_made;
static pthread_once_t ticket_once = PTHREAD_ONCE_INIT;

static void make_ticket_keys(void) { ticket_keys_made = RAND_bytes(ticket_keys, sizeof ticket_keys) == 1; }

/* Protocols, modes and verification: what needs no file. */
static void set_options(SSL_CTX *ctx, const struct config *cfg, int protocols)
{
    /* OpenSSL 3 refuses client renegotiation unless asked to allow it. */
    long opts = SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS | SSL_OP_NO_COMPRESSION |
                SSL_OP_SINGLE_DH_USE;
    if (!(protocols & PROTO_TLSv1)) opts |= SSL_OP_NO_TLSv1;
    if (!(protocols & PROTO_TLSv1_1)) opts |= SSL_OP_NO_TLSv1_1;
    if (!(protocols & PROTO_TLSv1_2)) opts |= SSL_OP_NO_TLSv1_2;
    if (!(protocols & PROTO_TLSv1_3)) opts |= SSL_OP_NO_TLSv1_3;
    if (cfg->tls_prefer_server_ciphers) opts |= SSL_OP_CIPHER_SERVER_PREFERENCE;
    SSL_CTX_set_options(ctx, opts);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    int verify = SSL_VERIFY_NONE;
    if (cfg->tls_auth_clients == CONFIG_TLS_AUTH_YES) verify = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    else if (cfg->tls_auth_clients == CONFIG_TLS_AUTH_OPTIONAL) verify = SSL_VERIFY_PEER;
    SSL_CTX_set_verify(ctx, verify, NULL);
    pthread_once(&ticket_once, make_ticket_keys);
    if (ticket_keys_made) SSL_CTX_set_tlsext_ticket_keys(ctx, ticket_keys, sizeof ticket_keys);
    if (cfg->tls_session_caching) {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
        SSL_CTX_sess_set_cache_size(ctx, cfg->tls_session_cache_size);
        SSL_CTX_set_timeout(ctx, cfg->tls_session_cache_timeout);
        SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"redis", 5);
    } else {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    }
}

/* Certificate, key, CA, ciphers and DH parameters, each as Redis logs its
 * failure. */
static bool load_files(SSL_CTX *ctx, const struct config *cfg)
{
    SSL_CTX_set_default_passwd_cb(ctx, password_cb);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, cfg->tls_key_file_pass);
    bool ok = false;
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert_file) <= 0)
        log_ssl_error("Failed to load certificate", cfg->tls_cert_file);
    else if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key_file, SSL_FILETYPE_PEM) <= 0)
        log_ssl_error("Failed to load private key", cfg->tls_key_file);
    else if (SSL_CTX_check_private_key(ctx) <= 0)
        log_ssl_error("Private key does not match the certificate", cfg->tls_key_file);
    else if ((cfg->tls_ca_cert_file || cfg->tls_ca_cert_dir) &&
             SSL_CTX_load_verify_locations(ctx, cfg->tls_ca_cert_file, cfg->tls_ca_cert_dir) <= 0)
        log_ssl_error("Failed to configure CA certificate(s) file/directory", NULL);
    else if (cfg->tls_ciphers && !SSL_CTX_set_cipher_list(ctx, cfg->tls_ciphers))
        log_warn("Failed to configure ciphers: %s", cfg->tls_ciphers);
    else if (cfg->tls_ciphersuites && !SSL_CTX_set_ciphersuites(ctx, cfg->tls_ciphersuites))
        log_warn("Failed to configure ciphersuites: %s", cfg->tls_ciphersuites);
    else if (cfg->tls_dh_params_file) ok = load_dh_params(ctx, cfg->tls_dh_params_file);
    else ok = SSL_CTX_set_dh_auto(ctx, 1) > 0;
    /* The password is the configuration's: not kept past loading. */
    SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);
    return ok;
}

struct tls_context *tls_context_create(const struct config *cfg)
{
    ERR_clear_error();
    if (!cfg->tls_cert_file) {
        log_warn("No tls-cert-file configured!");
        return NULL;
    }
    if (!cfg->tls_key_file) {
        log_warn("No tls-key-file configured!");
        return NULL;
    }
    if (cfg->tls_auth_clients != CONFIG_TLS_AUTH_NO && !cfg->tls_ca_cert_file && !cfg->tls_ca_cert_dir) {
        log_warn("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or "
                 "tls-auth-clients are enabled!");
        return NULL;
    }
    int protocols = parse_protocols(cfg->tls_protocols);
    if (protocols < 0) return NULL;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        log_ssl_error("Failed to create a TLS context", NULL);
        return NULL;
    }
    set_options(ctx, cfg, protocols);
    if (!load_files(ctx, cfg)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return (struct tls_context *)ctx;
}

void tls_context_release(struct tls_context *ctx) { SSL_CTX_free(ssl_ctx(ctx)); }

static bool str_equal(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

bool tls_settings_equal(const struct config *a, const struct config *b)
{
    return str_equal(a->tls_cert_file, b->tls_cert_file) && str_equal(a->tls_key_file, b->tls_key_file) &&
           str_equal(a->tls_key_file_pass, b->tls_key_file_pass) &&
           str_equal(a->tls_ca_cert_file, b->tls_ca_cert_file) && str_equal(a->tls_ca_cert_dir, b->tls_ca_cert_dir) &&
           str_equal(a->tls_dh_params_file, b->tls_dh_params_file) &&
           str_equal(a->tls_protocols, b->tls_protocols) && str_equal(a->tls_ciphers, b->tls_ciphers) &&
           str_equal(a->tls_ciphersuites, b->tls_ciphersuites) && a->tls_auth_clients == b->tls_auth_clients &&
           a->tls_prefer_server_ciphers == b->tls_prefer_server_ciphers &&
           a->tls_session_caching == b->tls_session_caching &&
           a->tls_session_cache_size == b->tls_session_cache_size &&
           a->tls_session_cache_timeout == b->tls_session_cache_timeout;
}

struct tls_session *tls_session_create(struct tls_context *ctx)
{
    struct tls_session *t = rk_calloc(1, sizeof(*t));
    t->ssl = SSL_new(ssl_ctx(ctx));
    t->in = BIO_new(BIO_s_mem());
    t->out = BIO_new(BIO_s_mem());
    if (!t->ssl || !t->in || !t->out) {
        /* Out of memory in OpenSSL: the session fails at its first read. */
        t->failed = true;
        return t;
    }
    /* A drained input BIO means "wait for more", not end of file. */
    BIO_set_mem_eof_return(t->in, -1);
    SSL_set_bio(t->ssl, t->in, t->out); /* the SSL owns both from here */
    SSL_set_accept_state(t->ssl);
    return t;
}

void tls_session_free(struct tls_session *t)
{
    if (!t) return;
    if (t->ssl) {
        SSL_free(t->ssl);
    } else {
        BIO_free(t->in);
        BIO_free(t->out);
    }
    rk_free(t);
}

void tls_session_feed(struct tls_session *t, const char *data, size_t len)
{
    while (!t->failed && len > 0) {
        int chunk = len > INT_MAX ? INT_MAX : (int)len;
        int n = BIO_write(t->in, data, chunk);
        if (n <= 0) {
            t->failed = true;
            return;
        }
        data += n;
        len -= (size_t)n;
    }
}

/* Why a session ended, as Redis words it in its verbose log. */
static void log_session_end(struct tls_session *t, int err)
{
    char buf[256];
    unsigned long e = ERR_peek_error();
    if (err == SSL_ERROR_ZERO_RETURN) return; /* the peer closed the session cleanly */
    if (e) ERR_error_string_n(e, buf, sizeof buf);
    else snprintf(buf, sizeof buf, "SSL error %d", err);
    log_verbose("Error accepting a client connection: %s", buf);
    ERR_clear_error();
}

ssize_t tls_session_read(struct tls_session *t, char *buf, size_t cap)
{
    if (t->failed) return -1;
    ERR_clear_error();
    int n = SSL_read(t->ssl, buf, cap > INT_MAX ? INT_MAX : (int)cap);
    if (n > 0) return n;
    int err = SSL_get_error(t->ssl, n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return 0;
    log_session_end(t, err);
    t->failed = true;
    return -1;
}

bool tls_session_ready(const struct tls_session *t) { return !t->failed && SSL_is_init_finished(t->ssl); }

bool tls_session_pending(const struct tls_session *t) { return t->ssl && BIO_ctrl_pending(t->out) > 0; }

size_t tls_session_take_output(struct tls_session *t, struct obuf *out)
{
    if (!t->out || !t->ssl) return 0;
    char *data;
    long len = BIO_get_mem_data(t->out, &data);
    if (len <= 0) return 0;
    obuf_append(out, data, (size_t)len);
    (void)BIO_reset(t->out);
    return (size_t)len;
}

bool tls_session_seal(struct tls_session *t, const char *data, size_t len, struct obuf *out)
{
    ERR_clear_error();
    while (!t->failed && len > 0) {
        int n = SSL_write(t->ssl, data, len > INT_MAX ? INT_MAX : (int)len);
        if (n <= 0) {
            log_session_end(t, SSL_get_error(t->ssl, n));
            t->failed = true;
            break;
        }
        data += n;
        len -= (size_t)n;
    }
    tls_session_take_output(t, out);
    return !t->failed;
}
