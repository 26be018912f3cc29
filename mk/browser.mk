# The sandbox dashboard in a real browser (sandbox/tests/browser.rs). Included by the Makefile.
#
#   make browser-test   installs Debian's chromium and chromium-driver when missing
#                       (scripts/install-deps.sh browser), then runs the ignored browser test:
#                       chromedriver drives headless chromium to click "Pay" on the
#                       dashboard; the screenshot lands in target/browser-test/dashboard.png.
#
# A plain `cargo test` skips it (#[ignore]), so machines without chromium still pass.

# Rules here must not become `make`'s default goal (the Makefile's first rule, demo).
doku_saved_goal := $(.DEFAULT_GOAL)

BROWSER_TEST_OUT := $(abspath target/browser-test)

.PHONY: browser-test

browser-test:
	@scripts/install-deps.sh browser
	DOKU_BROWSER_TEST_OUT=$(BROWSER_TEST_OUT) $(CARGO) test -p doku-sandbox --test browser -- --ignored --nocapture

EXTRA_TESTS += browser-test

.DEFAULT_GOAL := $(doku_saved_goal)
