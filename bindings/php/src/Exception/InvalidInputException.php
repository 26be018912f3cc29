<?php

declare(strict_types=1);

namespace Doku\Direct\Exception;

use Doku\Direct\Status;

/**
 * An argument is unusable: empty, too large, not JSON, not UTF-8, a NUL byte, a line break
 * in a header value. `field` names the argument (`client_id`, `body`, `headers.Signature`).
 */
class InvalidInputException extends DokuException
{
    public const KIND = 'invalid_input';
    /** The C status (`getCode()`) when none is given: `Status::ERR_INVALID_INPUT`. */
    public const STATUS = Status::ERR_INVALID_INPUT;
}
