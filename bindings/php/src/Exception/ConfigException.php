<?php

declare(strict_types=1);

namespace Doku\Direct\Exception;

/**
 * The client configuration (or the PHP setup: FFI, libdoku's path) is unusable; `field`
 * names the configuration key.
 */
class ConfigException extends DokuException
{
    public const KIND = 'config';
}
