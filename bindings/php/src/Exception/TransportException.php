<?php

declare(strict_types=1);

namespace Doku\Direct\Exception;

use Doku\Direct\Status;

/**
 * The connection to DOKU failed or broke (after the configured retries).
 */
class TransportException extends DokuException
{
    public const KIND = 'transport';
    /** The C status (`getCode()`) when none is given: `Status::ERR_TRANSPORT`. */
    public const STATUS = Status::ERR_TRANSPORT;
}
