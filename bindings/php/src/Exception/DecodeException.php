<?php

declare(strict_types=1);

namespace Doku\Direct\Exception;

use Doku\Direct\Status;

/**
 * DOKU's answer (or libdoku's output) could not be read.
 */
class DecodeException extends DokuException
{
    public const KIND = 'decode';
    /** The C status (`getCode()`) when none is given: `Status::ERR_DECODE`. */
    public const STATUS = Status::ERR_DECODE;
}
