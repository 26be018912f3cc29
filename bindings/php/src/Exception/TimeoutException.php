<?php

declare(strict_types=1);

namespace Doku\Direct\Exception;

use Doku\Direct\Status;

/**
 * No answer in time, after the configured retries: the outcome is UNKNOWN. The payment code
 * or order may exist: call `Client::checkStatus`, or retry with the same `request_id`
 * option (DOKU answers a repeated Request-Id with the original response).
 */
class TimeoutException extends DokuException
{
    public const KIND = 'timeout';
    /** The C status (`getCode()`) when none is given: `Status::ERR_TIMEOUT`. */
    public const STATUS = Status::ERR_TIMEOUT;
}
