<?php

declare(strict_types=1);

namespace Doku\Direct;

/**
 * libdoku's status codes (`doku_status`), the `#define DOKU_*` constants of include/doku.h,
 * defined once here because the PHP header has no preprocessor lines. Codes are
 * append-only: never renumbered or reused. Every exception's getCode() is one of these.
 */
final class Status
{
    public const OK = 0;
    public const ERR_INVALID_INPUT = 100;
    public const ERR_NULL_ARGUMENT = 101;
    public const ERR_INVALID_UTF8 = 102;
    public const ERR_VALIDATION = 103;
    public const ERR_CONFIG = 104;
    public const ERR_SIGNATURE_MISMATCH = 200;
    public const ERR_API = 300;
    public const ERR_TIMEOUT = 301;
    public const ERR_TRANSPORT = 302;
    public const ERR_DECODE = 303;
    public const ERR_PANIC = 900;

    private function __construct()
    {
    }
}
