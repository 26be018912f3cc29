<?php

declare(strict_types=1);

namespace Doku\Direct\Exception;

/**
 * A request body breaks one of DOKU's field rules; nothing was sent. `field` is the JSON
 * path (`order.line_items[1].price`).
 */
class ValidationException extends DokuException
{
    public const KIND = 'validation';
}
