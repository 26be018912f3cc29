<?php

declare(strict_types=1);

namespace Doku\Direct\Internal;

use Doku\Direct\Exception\ConfigException;
use Doku\Direct\Exception\DokuException;
use Doku\Direct\Exception\PanicException;
use FFI;
use FFI\CData;

/**
 * The one FFI instance over libdoku, and the one `call()` helper every binding goes through.
 *
 * Per-call overhead is kept down the ways FFI allows: the header is parsed once per process
 * (or once per server with opcache.preload + FFI::scope), and a single `char *` out-parameter
 * and its address are created once and reused by every call (PHP runs one request per
 * thread, and the slot is read and freed right after the C call returns).
 *
 * @internal Not part of the public API: use Signature, Client, Notification and Inquiry.
 */
final class Native
{
    /** The FFI scope that preload.php registers with FFI::load. */
    public const SCOPE = 'DOKU';

    /** The FFI instance (null until the first call). Use {@see ffi()}. */
    public static ?FFI $ffi = null;

    /** The reusable `char *` out-parameter; valid once {@see ffi()} has run. */
    public static CData $out;

    /** `&$out`, the `char **` passed as every `out_…` argument. */
    public static CData $outAddr;

    /** The loaded FFI instance, loading it on first use. */
    public static function ffi(): FFI
    {
        return self::$ffi ?? self::load();
    }

    /**
     * Checks a status returned by libdoku. On failure, reads the calling thread's last
     * error as JSON, frees it, and throws the matching exception.
     *
     * @throws DokuException
     */
    public static function call(int $status): void
    {
        if ($status !== 0) {
            throw self::error($status);
        }
    }

    /**
     * {@see call()} for functions that write an owned string to `*out_…` (the shared
     * {@see $outAddr}): returns a PHP copy of it and frees the C string.
     *
     * @throws DokuException
     */
    public static function callString(int $status): string
    {
        if ($status !== 0) {
            throw self::error($status);
        }
        $p = self::$out;
        try {
            return FFI::string($p);
        } finally {
            self::$ffi->doku_string_free($p);
        }
    }

    /** The exception for a failed call: built from (and after freeing) the last-error JSON. */
    public static function error(int $status): DokuException
    {
        $ffi = self::ffi();
        $p = $ffi->new('char *');
        if ($ffi->doku_last_error_json(FFI::addr($p)) !== 0) {
            return new PanicException('doku_last_error_json failed', 'panic', status: $status);
        }
        try {
            $json = FFI::string($p);
        } finally {
            $ffi->doku_string_free($p);
        }
        $error = json_decode($json, true);
        return DokuException::fromError($status, is_array($error) ? $error : []);
    }

    /**
     * Where libdoku is loaded from: env DOKU_LIBRARY (a path), else the package's own
     * `lib/` directory, else the system loader's search (`make install` puts
     * libdoku.so.0 in PREFIX/lib).
     */
    public static function libraryPath(): string
    {
        $env = getenv('DOKU_LIBRARY');
        if (is_string($env) && $env !== '') {
            return $env;
        }
        $name = PHP_OS_FAMILY === 'Darwin' ? 'libdoku.dylib' : 'libdoku.so';
        $bundled = dirname(__DIR__, 2) . '/lib/' . $name;
        if (is_file($bundled)) {
            return $bundled;
        }
        return PHP_OS_FAMILY === 'Darwin' ? 'libdoku.0.dylib' : 'libdoku.so.0';
    }

    /** The checked-in header without preprocessor lines (cbindgen-php.toml). */
    public static function headerPath(): string
    {
        return dirname(__DIR__) . '/doku_php.h';
    }

    /**
     * For opcache.preload (see preload.php): makes FFI scope "DOKU" exist for the whole
     * server, so every request takes the parsed header with FFI::scope. When ffi.preload
     * already loaded {@see preloadHeader()}'s file this does nothing; otherwise it runs
     * FFI::load on a temporary copy of it. FFI::load refuses to run under
     * opcache.preload_user (php-fpm started as root): use ffi.preload then (README, "PHP").
     */
    public static function preload(): void
    {
        try {
            FFI::scope(self::SCOPE);
            return; // ffi.preload registered it
        } catch (\Throwable) {
        }
        $tmp = tempnam(sys_get_temp_dir(), 'doku-ffi-');
        if ($tmp === false || file_put_contents($tmp, self::preloadHeader()) === false) {
            throw new ConfigException('doku: cannot write a temporary header for FFI::load', 'config');
        }
        try {
            $loaded = FFI::load($tmp);
        } catch (\FFI\Exception $e) {
            throw new ConfigException(
                "doku: FFI::load failed: {$e->getMessage()}; write the header with `php bin/doku-ffi-header.php > FILE` and set ffi.preload=FILE",
                'config',
                previous: $e,
            );
        } finally {
            @unlink($tmp);
        }
        if ($loaded === null) {
            throw new ConfigException('doku: FFI::load could not load ' . self::libraryPath(), 'config');
        }
    }

    /**
     * The header for ffi.preload / FFI::load: the checked-in header (no preprocessor lines)
     * after the two defines FFI reads, FFI_SCOPE "DOKU" and FFI_LIB (default: libraryPath()).
     */
    public static function preloadHeader(?string $library = null): string
    {
        $library ??= self::libraryPath();
        return '#define FFI_SCOPE "' . self::SCOPE . "\"\n"
            . '#define FFI_LIB "' . addcslashes($library, "\"\\") . "\"\n"
            . self::readHeader();
    }

    private static function load(): FFI
    {
        if (!class_exists(FFI::class, false)) {
            throw new ConfigException(
                'doku: the PHP FFI extension is not loaded (Debian: php8.2-common ships it; enable it with extension=ffi)',
                'config',
            );
        }
        $ffi = null;
        try {
            $ffi = FFI::scope(self::SCOPE); // preloaded: no parsing at all
        } catch (\Throwable) {
            // Not preloaded: parse the header once for this process.
        }
        if ($ffi === null) {
            $lib = self::libraryPath();
            try {
                $ffi = FFI::cdef(self::readHeader(), $lib);
            } catch (\FFI\Exception $e) {
                $hint = str_contains($e->getMessage(), 'ffi.enable')
                    ? 'set ffi.enable=1, or ffi.enable=preload with opcache.preload=.../preload.php (see README, "PHP")'
                    : 'set DOKU_LIBRARY to the path of libdoku.so, or install it (make install)';
                throw new ConfigException("doku: cannot load libdoku ({$lib}): {$e->getMessage()}; {$hint}", 'config', previous: $e);
            }
        }
        self::$out = $ffi->new('char *');
        self::$outAddr = FFI::addr(self::$out);
        return self::$ffi = $ffi;
    }

    private static function readHeader(): string
    {
        $code = @file_get_contents(self::headerPath());
        if ($code === false) {
            throw new ConfigException('doku: cannot read ' . self::headerPath(), 'config');
        }
        return $code;
    }
}
