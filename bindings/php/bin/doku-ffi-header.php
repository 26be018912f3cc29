<?php

/**
 * Prints the header for php.ini's `ffi.preload` (production, with opcache.preload_user):
 *
 *     php bin/doku-ffi-header.php [/path/to/libdoku.so] > /etc/php/8.2/doku-ffi.h
 *     ; php.ini: ffi.preload = /etc/php/8.2/doku-ffi.h
 *
 * It is src/doku_php.h after `#define FFI_SCOPE "DOKU"` and `#define FFI_LIB "<library>"`
 * (default: env DOKU_LIBRARY, the package's lib/, else libdoku.so.0 from the system).
 */

declare(strict_types=1);

require __DIR__ . '/../autoload.php';

echo Doku\Direct\Internal\Native::preloadHeader($argv[1] ?? null);
