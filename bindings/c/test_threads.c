/*
 * Thread test for libdoku, run under ThreadSanitizer by bindings/c/run-tests.sh:
 * 8 threads share ONE doku_client handle and, at the same time, sign and verify the
 * shared vectors, validate bodies (each reading its own thread-local last error), and
 * send requests through the shared client to a `doku sandbox` (argv[1]).
 *
 * Each thread counts its own checks; main sums them after joining. The last line is
 * "N passed, M failed"; the exit status is non-zero on any failure.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <doku.h>

#include "vectors.h"

#define THREADS 8
#define SIGN_ROUNDS 300 /* x every vector case, per thread */
#define REQUESTS 4      /* payment codes (+ check status each) per thread */

typedef struct {
    int index;
    const doku_client *client; /* shared by all threads */
    unsigned passed, failed;
    char first_failure[512];
} worker;

static pthread_barrier_t start_line;
static char g_client_id[128];

static void check(worker *w, int ok, const char *what, const char *detail)
{
    if (ok) {
        w->passed++;
        return;
    }
    if (w->failed++ == 0)
        snprintf(w->first_failure, sizeof w->first_failure, "%s: %s", what,
                 detail ? detail : "");
}

/* The calling thread's last error JSON (caller frees with doku_string_free). */
static char *last_error(void)
{
    char *json = NULL;
    if (doku_last_error_json(&json) != DOKU_OK)
        return NULL;
    return json;
}

static void sign_and_verify(worker *w)
{
    for (int round = 0; round < SIGN_ROUNDS; round++) {
        for (size_t i = 0; i < VECTOR_CASE_COUNT; i++) {
            const vector_case *c = &VECTOR_CASES[i];
            int response = strcmp(c->kind, "response") == 0;
            char *sig = NULL;
            doku_status st = (response ? doku_sign_response : doku_sign)(
                c->client_id, c->request_id, c->timestamp, c->request_target, c->body,
                c->body_len, VECTOR_SECRET_KEY, &sig);
            check(w, st == DOKU_OK && sig && strcmp(sig, c->signature) == 0, c->name,
                  sig ? sig : "no signature");
            doku_string_free(sig);
            if (round % 50 == 0) {
                st = (response ? doku_verify_response : doku_verify)(
                    c->client_id, c->request_id, c->timestamp, c->request_target, c->body,
                    c->body_len, VECTOR_SECRET_KEY, c->signature);
                check(w, st == DOKU_OK, "verify", c->name);
                /* Another thread's key in this thread's cache: still right. */
                st = doku_verify(c->client_id, c->request_id, c->timestamp, c->request_target,
                                 c->body, c->body_len, "SK-another-key", c->signature);
                check(w, st == DOKU_ERR_SIGNATURE_MISMATCH, "verify with another key", c->name);
            }
        }
    }
}

static void validate(worker *w)
{
    char body[512];
    for (int i = 0; i < 50; i++) {
        /* Each thread breaks a different field and must read its own error back. */
        int bad_amount = (w->index + i) % 2 == 0;
        snprintf(body, sizeof body,
                 "{\"order\":{\"invoice_number\":\"INV-T%d-%d\",\"amount\":%s},"
                 "\"online_to_offline_info\":{\"reusable_status\":false},"
                 "\"customer\":{\"name\":\"%s\"}}",
                 w->index, i, bad_amount ? "0" : "150000", bad_amount ? "Taufik" : "");
        doku_status st = doku_validate("alfa_payment_code", body);
        char *err = last_error();
        const char *want = bad_amount ? "\"field\":\"order.amount\"" : "\"field\":\"customer.name\"";
        check(w, st == DOKU_ERR_VALIDATION && err && strstr(err, want), "validate", err);
        doku_string_free(err);
    }
}

static void requests(worker *w)
{
    char body[1024], invoice[96];
    for (int i = 0; i < REQUESTS; i++) {
        snprintf(invoice, sizeof invoice, "INV-THREAD-%ld-%d-%d", (long)getpid(), w->index, i);
        snprintf(body, sizeof body,
                 "{\"order\":{\"invoice_number\":\"%s\",\"amount\":150000},"
                 "\"online_to_offline_info\":{\"expired_time\":60,\"reusable_status\":false},"
                 "\"customer\":{\"name\":\"Taufik Ismail\"}}",
                 invoice);
        char *resp = NULL;
        doku_status st = doku_alfa_payment_code(w->client, body, NULL, &resp);
        char *err = st == DOKU_OK ? NULL : last_error();
        check(w, st == DOKU_OK && resp && strstr(resp, "\"payment_code\":\"88888"),
              "alfa payment code", resp ? resp : err);
        doku_string_free(resp);
        doku_string_free(err);

        resp = NULL;
        st = doku_check_status(w->client, invoice, NULL, &resp);
        err = st == DOKU_OK ? NULL : last_error();
        check(w, st == DOKU_OK && resp && strstr(resp, invoice) && strstr(resp, "\"PENDING\""),
              "check status", resp ? resp : err);
        doku_string_free(resp);
        doku_string_free(err);

        /* An API error on the shared client: this thread's last error has the 404. */
        resp = NULL;
        st = doku_request(w->client, "GET", "/orders/v1/status/INV-NOT-THERE", NULL, NULL, &resp);
        err = last_error();
        check(w, st == DOKU_ERR_API && resp == NULL && err && strstr(err, "\"http_status\":404"),
              "api error", err);
        doku_string_free(err);
    }
}

static void *run(void *arg)
{
    worker *w = arg;
    pthread_barrier_wait(&start_line);
    sign_and_verify(w);
    validate(w);
    requests(w);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s SANDBOX_URL\n", argv[0]);
        return 2;
    }
    const char *cid = getenv("DOKU_CLIENT_ID");
    const char *sk = getenv("DOKU_SECRET_KEY");
    snprintf(g_client_id, sizeof g_client_id, "%s", cid ? cid : "MCH-SANDBOX-0001");
    char config[1024];
    snprintf(config, sizeof config,
             "{\"client_id\":\"%s\",\"secret_key\":\"%s\",\"base_url\":\"%s\","
             "\"response_signature\":\"require\"}",
             g_client_id, sk ? sk : "SK-sandbox-0001-not-a-real-key", argv[1]);
    doku_client *client = NULL;
    if (doku_client_new(config, &client) != DOKU_OK) {
        char *err = last_error();
        printf("doku_client_new failed: %s\n0 passed, 1 failed\n", err ? err : "");
        doku_string_free(err);
        return 1;
    }

    worker workers[THREADS];
    pthread_t threads[THREADS];
    pthread_barrier_init(&start_line, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (worker){.index = i, .client = client};
        if (pthread_create(&threads[i], NULL, run, &workers[i]) != 0) {
            perror("pthread_create");
            return 1;
        }
    }
    unsigned passed = 0, failed = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        passed += workers[i].passed;
        failed += workers[i].failed;
        if (workers[i].failed)
            printf("FAIL thread %d: %u failed; first: %s\n", i, workers[i].failed,
                   workers[i].first_failure);
    }
    pthread_barrier_destroy(&start_line);
    doku_client_free(client);
    printf("threads: %d threads shared one client\n", THREADS);
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
