<?php

declare(strict_types=1);

namespace Doku\Direct\Exception;

use Doku\Direct\Status;

/**
 * A bug inside libdoku was caught at the C boundary; no state was changed. Please report it.
 */
class PanicException extends DokuException
{
    public const KIND = 'panic';
    /** The C status (`getCode()`) when none is given: `Status::ERR_PANIC`. */
    public const STATUS = Status::ERR_PANIC;
}
