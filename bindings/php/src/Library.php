<?php

declare(strict_types=1);

namespace Doku\Direct;

use Doku\Direct\Internal\Native;

/** The loaded libdoku. */
final class Library
{
    /** libdoku's version (`"0.1.0"`). */
    public static function version(): string
    {
        return Native::ffi()->doku_version();
    }

    /** Where libdoku is (or would be) loaded from: env DOKU_LIBRARY, the package's lib/, or the system. */
    public static function path(): string
    {
        return Native::libraryPath();
    }

    private function __construct()
    {
    }
}
