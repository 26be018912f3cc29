/*
 * The VB6 shim's test (32-bit Windows, under wine): doku_vb6.dll's functions, called the
 * way VB6 calls them (stdcall, looked up by undecorated name, as a Declare does), give
 * exactly what the cdecl functions of doku.dll give. cross.sh also checks that each shim
 * function pops its own arguments (`ret $N`), which is what stdcall means.
 */
#include <stdio.h>
#include <string.h>
#include <windows.h>
#include "doku.h"

typedef doku_status(__stdcall *sign_fn)(const char *, const char *, const char *, const char *,
                                         const char *, size_t, const char *, char **);
typedef doku_status(__stdcall *verify_fn)(const char *, const char *, const char *,
                                           const char *, const char *, size_t, const char *,
                                           const char *);
typedef void(__stdcall *free_fn)(char *);
typedef const char *(__stdcall *version_fn)(void);
typedef doku_status(__stdcall *last_error_fn)(char **);

static unsigned passed, failed;
#define CHECK(cond, what)                                                                  \
    do {                                                                                   \
        if (cond) passed++;                                                                \
        else { failed++; printf("FAIL %s:%d %s\n", __FILE__, __LINE__, what); }            \
    } while (0)

int main(void)
{
    HMODULE shim = LoadLibraryA("doku_vb6.dll");
    CHECK(shim != NULL, "LoadLibrary(doku_vb6.dll)");
    if (!shim) goto done;
    sign_fn vb_sign = (sign_fn)(void *)GetProcAddress(shim, "doku_vb6_sign");
    verify_fn vb_verify = (verify_fn)(void *)GetProcAddress(shim, "doku_vb6_verify");
    free_fn vb_free = (free_fn)(void *)GetProcAddress(shim, "doku_vb6_string_free");
    version_fn vb_version = (version_fn)(void *)GetProcAddress(shim, "doku_vb6_version");
    last_error_fn vb_last = (last_error_fn)(void *)GetProcAddress(shim, "doku_vb6_last_error_json");
    CHECK(vb_sign && vb_verify && vb_free && vb_version && vb_last, "undecorated exports");
    if (!(vb_sign && vb_verify && vb_free && vb_version && vb_last)) goto done;

    CHECK(strcmp(vb_version(), doku_version()) == 0, "doku_vb6_version");

    const char *body = "{\"order\":{\"invoice_number\":\"INV-1\",\"amount\":150000}}";
    const char *args[] = {"MCH-0001", "req-1", "2020-08-11T08:45:42Z",
                          "/alfa-online-to-offline/v2/payment-code"};
    char *direct = NULL, *via = NULL;
    CHECK(doku_sign(args[0], args[1], args[2], args[3], body, strlen(body), "secret",
                    &direct) == DOKU_OK, "doku_sign");
    /* Many calls in a row: a callee that did not pop its 32 bytes would drift the stack. */
    for (int i = 0; i < 1000 && failed == 0; i++) {
        via = NULL;
        CHECK(vb_sign(args[0], args[1], args[2], args[3], body, strlen(body), "secret",
                      &via) == DOKU_OK, "doku_vb6_sign");
        CHECK(direct && via && strcmp(direct, via) == 0, "doku_vb6_sign == doku_sign");
        CHECK(vb_verify(args[0], args[1], args[2], args[3], body, strlen(body), "secret",
                        via) == DOKU_OK, "doku_vb6_verify(right signature)");
        CHECK(vb_verify(args[0], args[1], args[2], args[3], body, strlen(body), "other",
                        via) == DOKU_ERR_SIGNATURE_MISMATCH, "doku_vb6_verify(wrong secret)");
        vb_free(via);
    }
    char *err = NULL;
    CHECK(vb_verify(NULL, args[1], args[2], args[3], body, strlen(body), "secret", "x") ==
              DOKU_ERR_NULL_ARGUMENT, "doku_vb6_verify(NULL)");
    CHECK(vb_last(&err) == DOKU_OK && err && strstr(err, "client_id") != NULL,
          "doku_vb6_last_error_json names client_id");
    vb_free(err);
    doku_string_free(direct);
    FreeLibrary(shim);
done:
    printf("vb6: %u passed, %u failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
