<?php

declare(strict_types=1);

namespace Doku\Direct\Exception;

use Doku\Direct\Status;

/**
 * DOKU answered with an error status. `httpStatus`, `requestId` and the raw `body` say
 * what DOKU said; {@see errorBody()} decodes it.
 */
class ApiException extends DokuException
{
    public const KIND = 'api';
    /** The C status (`getCode()`) when none is given: `Status::ERR_API`. */
    public const STATUS = Status::ERR_API;

    /** The HTTP status DOKU answered with. */
    public function getStatus(): ?int
    {
        return $this->httpStatus;
    }

    /**
     * DOKU's error body decoded (`['error' => ['code' => ..., 'message' => ...]]`), or null
     * when it is not JSON.
     *
     * @return array<string, mixed>|null
     */
    public function errorBody(): ?array
    {
        if ($this->body === null) {
            return null;
        }
        $value = json_decode($this->body, true);
        return is_array($value) ? $value : null;
    }
}
