<?php

declare(strict_types=1);

namespace Doku\Direct\Exception;

use Doku\Direct\Status;

/**
 * A request body breaks one of DOKU's field rules; nothing was sent. `field` is the JSON
 * path (`order.line_items[1].price`).
 */
class ValidationException extends DokuException
{
    public const KIND = 'validation';
    /** The C status (`getCode()`) when none is given: `Status::ERR_VALIDATION`. */
    public const STATUS = Status::ERR_VALIDATION;
}
