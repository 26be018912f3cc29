/*
 * libdoku example: an Alfa Group payment code, from request to check status.
 *
 *   cc example.c $(pkg-config --cflags --libs doku) -o example          # libdoku.so
 *   cc example.c $(pkg-config --cflags doku) \
 *      $(pkg-config --variable=static_libs doku) -o example             # libdoku.a
 *
 *   ./example                   signs and verifies a request (no network)
 *   ./example http://127.0.0.1:PORT
 *                               the payment-code flow against that base URL, e.g. a
 *                               `doku sandbox` (or https://api-sandbox.doku.com)
 *
 * The merchant is DOKU_CLIENT_ID / DOKU_SECRET_KEY from the environment; without them,
 * the default merchant of `doku sandbox`.
 *
 * The rules it follows (README, "C API conventions"): every function returns a
 * doku_status (DOKU_OK == 0); an out-parameter is written only on success; every string
 * the library returns is freed once with doku_string_free; on failure the calling
 * thread's last error is read with doku_last_error_json (and freed too).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <doku.h>

/* Prints the calling thread's last error: {"kind","message","field","http_status",...}. */
static void print_error(const char *what, doku_status status)
{
    char *json = NULL;
    if (doku_last_error_json(&json) == DOKU_OK) {
        fprintf(stderr, "%s failed (status %u): %s\n", what, (unsigned)status, json);
        doku_string_free(json);
    } else {
        fprintf(stderr, "%s failed (status %u)\n", what, (unsigned)status);
    }
}

/* A malloc'd copy of the first string value of "key" in `json` (enough for an example;
 * use a JSON library such as cJSON or jansson in real code). NULL when absent. */
static char *json_string(const char *json, const char *key)
{
    char pattern[128];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *start = strstr(json, pattern);
    if (!start)
        return NULL;
    start += strlen(pattern);
    const char *end = strchr(start, '"');
    if (!end)
        return NULL;
    char *out = malloc((size_t)(end - start) + 1);
    if (out) {
        memcpy(out, start, (size_t)(end - start));
        out[end - start] = '\0';
    }
    return out;
}

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

/* Signing only: the Signature header of a POST, then verification of it. */
static int sign_example(const char *client_id, const char *secret_key)
{
    const char *body = "{\"order\":{\"invoice_number\":\"INV-20210125-0001\",\"amount\":150000},"
                       "\"online_to_offline_info\":{\"expired_time\":60,\"reusable_status\":false},"
                       "\"customer\":{\"name\":\"Taufik Ismail\"}}";
    const char *request_id = "5b8e438f-fac1-4103-9e0e-ebfdc38b5acb";
    const char *timestamp = "2020-08-11T08:45:42Z";
    const char *target = "/alfa-online-to-offline/v2/payment-code";

    char *signature = NULL;
    doku_status st = doku_sign(client_id, request_id, timestamp, target, body, strlen(body),
                               secret_key, &signature);
    if (st != DOKU_OK) {
        print_error("doku_sign", st);
        return 1;
    }
    printf("libdoku %s\n", doku_version());
    printf("Signature: %s\n", signature);

    st = doku_verify(client_id, request_id, timestamp, target, body, strlen(body), secret_key,
                     signature);
    printf("verify: %s\n", st == DOKU_OK ? "ok" : "MISMATCH");
    /* Another body (one byte more) must not verify. */
    doku_status other = doku_verify(client_id, request_id, timestamp, target, body,
                                    strlen(body) - 1, secret_key, signature);
    printf("verify other bytes: %s\n",
           other == DOKU_ERR_SIGNATURE_MISMATCH ? "mismatch (as it should)" : "UNEXPECTED");
    doku_string_free(signature);
    return st == DOKU_OK && other == DOKU_ERR_SIGNATURE_MISMATCH ? 0 : 1;
}

/* The payment-code flow: client, validated request, payment code, check status. */
static int payment_code_example(const char *base_url, const char *client_id,
                                 const char *secret_key)
{
    char config[1024];
    snprintf(config, sizeof config,
             "{\"client_id\":\"%s\",\"secret_key\":\"%s\",\"base_url\":\"%s\","
             "\"timeout_ms\":10000,\"retries\":2}",
             client_id, secret_key, base_url);

    doku_client *client = NULL;
    doku_status st = doku_client_new(config, &client); /* no network I/O here */
    if (st != DOKU_OK) {
        print_error("doku_client_new", st);
        return 1;
    }

    char invoice[64];
    snprintf(invoice, sizeof invoice, "INV-C-%ld-%ld", (long)getpid(), (long)time(NULL));
    char request[1024];
    snprintf(request, sizeof request,
             "{\"order\":{\"invoice_number\":\"%s\",\"amount\":150000},"
             "\"online_to_offline_info\":{\"expired_time\":60,\"reusable_status\":false,"
             "\"info\":\"Thank you for shopping\"},"
             "\"customer\":{\"name\":\"Taufik Ismail\",\"email\":\"taufik@example.com\"}}",
             invoice);

    int rc = 1;
    char *response = NULL, *status = NULL, *code = NULL, *tx_status = NULL;

    /* A broken field rule is caught before anything is sent; `field` names it. */
    st = doku_validate("alfa_payment_code", "{\"order\":{\"invoice_number\":\"X\",\"amount\":0}}");
    if (st == DOKU_ERR_VALIDATION)
        print_error("doku_validate (on purpose: amount 0)", st);

    /* The body is sent exactly as given; DOKU's answer is verified and returned as JSON. */
    st = doku_alfa_payment_code(client, request, NULL, &response);
    if (st != DOKU_OK) {
        /* DOKU_ERR_TIMEOUT: the outcome is unknown. Call doku_check_status, or retry
         * with the same request id: {"request_id": "..."} as options_json. */
        print_error("doku_alfa_payment_code", st);
        goto done;
    }
    code = json_string(response, "payment_code");
    printf("invoice %s: payment code %s\n", invoice, code ? code : "(none)");
    doku_string_free(response);
    response = NULL;

    st = doku_check_status(client, invoice, NULL, &status);
    if (st != DOKU_OK) {
        print_error("doku_check_status", st);
        goto done;
    }
    tx_status = json_string(status, "status");
    printf("check status: %s\n", tx_status ? tx_status : "(none)");
    rc = code && tx_status ? 0 : 1;

done:
    free(code);
    free(tx_status);
    doku_string_free(status); /* NULL-safe */
    doku_client_free(client); /* after every call using it has returned */
    return rc;
}

int main(int argc, char **argv)
{
    const char *client_id = env_or("DOKU_CLIENT_ID", "MCH-SANDBOX-0001");
    const char *secret_key = env_or("DOKU_SECRET_KEY", "SK-sandbox-0001-not-a-real-key");
    if (argc > 2) {
        fprintf(stderr, "usage: %s [BASE_URL]\n", argv[0]);
        return 2;
    }
    return argc == 2 ? payment_code_example(argv[1], client_id, secret_key)
                     : sign_example(client_id, secret_key);
}
