<?php

declare(strict_types=1);

namespace Doku\Direct\Exception;

use Doku\Direct\Status;

/**
 * The client configuration (or the PHP setup: FFI, libdoku's path) is unusable; `field`
 * names the configuration key.
 */
class ConfigException extends DokuException
{
    public const KIND = 'config';
    /** The C status (`getCode()`) when none is given: `Status::ERR_CONFIG`. */
    public const STATUS = Status::ERR_CONFIG;
}
