<?php

declare(strict_types=1);

namespace Doku\Direct\Exception;

/**
 * The connection to DOKU failed or broke (after the configured retries).
 */
class TransportException extends DokuException
{
    public const KIND = 'transport';
}
