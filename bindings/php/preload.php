<?php

/**
 * opcache.preload script for production (php-fpm, Apache mod_php):
 *
 *     ffi.enable = preload
 *     opcache.enable = 1
 *     opcache.preload = /path/to/vendor/doku/direct/preload.php
 *     opcache.preload_user = www-data
 *
 * At server start it compiles this package's classes into opcache and parses libdoku's
 * header once, as FFI scope "DOKU" (Native::preload). Each request then takes the parsed
 * scope with FFI::scope("DOKU") instead of parsing the header again, and FFI stays
 * restricted to preloaded code (ffi.enable=preload): application code cannot call
 * FFI::cdef. The library path comes from DOKU_LIBRARY in the server's environment (php-fpm:
 * `env[DOKU_LIBRARY] = ...` in the pool), else the package's lib/, else libdoku.so.0.
 */

declare(strict_types=1);

require __DIR__ . '/autoload.php';

// Load every class now (parents first, through the autoloader), so each is preloaded.
$files = new RecursiveIteratorIterator(new RecursiveDirectoryIterator(__DIR__ . '/src', FilesystemIterator::SKIP_DOTS));
foreach ($files as $file) {
    if ($file->getExtension() === 'php') {
        $class = 'Doku\\Direct\\' . str_replace('/', '\\', substr($file->getPathname(), strlen(__DIR__ . '/src/'), -4));
        class_exists($class);
    }
}

Doku\Direct\Internal\Native::preload();
